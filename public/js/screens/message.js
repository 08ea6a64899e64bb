// Journeys 2, 3, 4: read a message, download and file its attachments, reply.
import { get, post, getOnce } from '../api.js';
import { h, vh, uid, field, messageSlot, insertMessageHtml } from '../dom.js';
import { longDateTime, size, typeLabel, personName } from '../format.js';

export async function render(ctx) {
  const id = Number(ctx.args[0]);
  const m = await get(`/api/messages/${encodeURIComponent(ctx.args[0] || '')}`);
  const categories = ctx.citizen && (m.attachments || []).length
    ? (await getOnce('/api/record/categories').catch(() => ({ categories: [] }))).categories || [] : [];
  const sent = m.folder === 'Sent';
  const subject = m.subject || '(sans objet)';

  const headers = h('dl', { class: 'entetes' },
    item('De', personName(m.fromName, m.from)),
    item('À', (m.to || []).join(', ')),
    (m.cc || []).length ? item('Copie', m.cc.join(', ')) : null,
    item('Date', h('time', { datetime: m.date }, longDateTime(m.date))));

  // reply: allowed or explained
  let reply = null;
  if (!sent) {
    const r = m.reply || { allowed: true };
    if (r.allowed) {
      reply = h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'bouton', onclick: () => ctx.go(`#/compose?inReplyTo=${id}`) }, 'Répondre'));
    } else {
      const why = uid('raison');
      reply = h('div', { class: 'actions reponse-impossible' },
        h('button', { type: 'button', class: 'bouton', 'aria-disabled': 'true', 'aria-describedby': why }, 'Répondre'),
        h('p', { class: 'raison', id: why, 'data-testid': 'reponse-impossible' },
          r.message || 'Vous ne pouvez pas répondre à ce message.'));
    }
  }

  const bodyTitle = uid('corps');
  const body = h('div', { class: m.html ? 'message-html' : 'message-texte' });
  if (m.html) insertMessageHtml(body, m.html, 2);
  else body.textContent = m.text || '(message sans texte)';

  const attachments = m.attachments || [];
  const attTitle = uid('pj');

  return {
    title: subject,
    node: h('div', { class: 'ecran' },
      h('p', { class: 'retour' }, h('a', { href: sent ? '#/sent' : '#/inbox' }, 'Retour aux messages')),
      h('h1', null, subject),
      headers,
      m.receipt === 'sent' ? h('p', { class: 'discret' }, 'Un accusé de lecture a été envoyé à l’expéditeur.') : null,
      reply,
      h('section', { class: 'corps', 'aria-labelledby': bodyTitle },
        h('h2', { class: 'vh', id: bodyTitle }, 'Contenu du message'), body),
      attachments.length ? h('section', { class: 'pieces', 'aria-labelledby': attTitle },
        h('h2', { id: attTitle }, attachments.length > 1 ? `Pièces jointes (${attachments.length})` : 'Pièce jointe'),
        h('ul', { class: 'pieces-liste' }, attachments.map((a) => attachment(a)))) : null),
  };

  function item(term, value) {
    return h('div', null, h('dt', null, term), h('dd', null, value));
  }

  function attachment(a) {
    const nameId = uid('pj-nom');
    const url = `/api/messages/${id}/attachments/${a.index}`;
    return h('li', { class: 'piece', 'data-testid': `piece-jointe-${a.index}` },
      h('p', { class: 'piece-nom', id: nameId }, a.name || `Pièce jointe ${a.index + 1}`),
      h('p', { class: 'piece-infos' }, `${typeLabel(a.type, a.isCda)} · ${size(a.size)}`),
      h('p', null, h('a', { href: url, download: a.name || '' }, 'Télécharger', vh(` ${a.name || ''}`))),
      ctx.citizen ? (a.filedDocumentId != null ? filedNote() : fileForm(a, nameId)) : null);
  }

  function filedNote() {
    return h('p', { class: 'aide', 'data-testid': 'deja-classe' }, 'Déjà dans vos documents. ', h('a', { href: '#/documents' }, 'Consulter vos documents'));
  }

  function fileForm(a, nameId) {
    const select = h('select', { name: 'category' },
      a.isCda
        ? h('option', { value: '' }, 'Catégorie du document')
        : [h('option', { value: '' }, 'Choisir une catégorie'), categories.map((c) => h('option', { value: c.code }, c.label))]);
    const f = field(['Catégorie', vh(` pour ${a.name || 'la pièce jointe'}`)], select,
      a.isCda ? 'Le document de santé est classé d’après son contenu.' : null);
    const slot = messageSlot();
    let busy = false;
    const button = h('button', { type: 'submit', class: 'bouton secondaire', 'aria-describedby': nameId }, 'Enregistrer dans mes documents');
    const form = h('form', { class: 'classer', novalidate: true, onsubmit: submit }, f.wrap, h('div', { class: 'actions' }, button), slot.el);
    return form;

    async function submit(e) {
      e.preventDefault();
      if (busy) return;
      slot.clear(); f.link(slot.el.id, false); f.error(null);
      const category = select.value || undefined;
      if (!a.isCda && !category) { f.error('Choisissez une catégorie.'); select.focus(); return; }
      busy = true;
      try {
        const res = await post(`/api/messages/${id}/attachments/${a.index}/file`, category ? { category } : {});
        const d = (res && res.document) || {};
        const label = d.categoryLabel || (categories.find((c) => c.code === (d.category || category)) || {}).label;
        const ok = h('p', { class: 'succes-bloc', role: 'status', tabindex: '-1' },
          label ? `Document enregistré dans vos documents, catégorie « ${label} ».` : 'Document enregistré dans vos documents.', ' ',
          h('a', { href: '#/documents' }, 'Consulter vos documents'));
        form.replaceWith(ok);
        ok.focus();
      } catch (err) {
        slot.error(err.message);
        if (err.code === 'CATEGORY_REQUIRED') f.link(slot.el.id, true);
      } finally { busy = false; }
    }
  }
}
