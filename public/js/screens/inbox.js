// Journey 1: the inbox (or sent folder) grouped by conversation, newest first, refreshed live.
import { get, withQuery } from '../api.js';
import { h, vh, uid } from '../dom.js';
import { dateTime } from '../format.js';

const stripRe = (s) => String(s || '').replace(/^\s*((re|tr|fwd?)\s*:\s*)+/i, '');

export async function render(ctx) {
  const sent = ctx.name === 'sent';
  const folder = sent ? 'Sent' : 'INBOX';
  const title = sent ? 'Messages envoyés' : 'Boîte de réception';
  let messages = [];
  let next = null;

  async function load(before, limit) {
    return get(withQuery('/api/messages', { folder, before, limit }));
  }
  // The server has the browser preload this very URL for a logged-in page (src/web/app.ts).
  const first = await load(null, 50);
  messages = first.messages || [];
  next = first.next ?? null;

  const listWrap = h('div', { class: 'liste-messages' });
  const more = h('button', { type: 'button', class: 'bouton secondaire', onclick: loadMore }, 'Voir plus');
  const moreWrap = h('div', { class: 'actions' }, more);
  const status = h('p', { class: 'aide', role: 'status' });
  const summary = h('p', { class: 'aide' });

  function draw() {
    const unread = messages.filter((m) => !m.seen).length;
    summary.textContent = unread ? `${unread} message${unread > 1 ? 's' : ''} non lu${unread > 1 ? 's' : ''}`
      : messages.length ? 'Tous vos messages sont lus.' : '';
    listWrap.replaceChildren(messages.length ? groups() : h('p', { class: 'vide' }, sent ? 'Aucun message envoyé.' : 'Aucun message.'));
    moreWrap.hidden = next == null;
  }

  function groups() {
    // messages come newest first: a conversation sits where its newest message is
    const order = [];
    const byKey = new Map();
    for (const m of messages) {
      const key = m.conversationId == null ? `m${m.id}` : `c${m.conversationId}`;
      if (!byKey.has(key)) { byKey.set(key, []); order.push(key); }
      byKey.get(key).push(m);
    }
    return h('ul', { class: 'conversations' }, order.map((key) => {
      const list = byKey.get(key);
      if (list.length === 1) return h('li', { class: 'conversation' }, h('ul', { class: 'messages' }, row(list[0])));
      const id = uid('conv');
      const unread = sent ? 0 : list.filter((m) => !m.seen).length;
      return h('li', { class: 'conversation groupe' },
        h('p', { class: 'conversation-titre', id },
          `Conversation : ${stripRe(list[list.length - 1].subject) || '(sans objet)'}`,
          h('span', { class: 'compte-messages' }, ` · ${list.length} messages${unread ? `, dont ${unread} non lu${unread > 1 ? 's' : ''}` : ''}`)),
        h('ul', { class: 'messages', 'aria-labelledby': id }, list.map(row)));
    }));
  }

  function row(m) {
    const who = sent ? `À : ${(m.to || []).join(', ')}` : (m.fromName || m.from || '');
    return h('li', { class: m.seen || sent ? 'message-ligne' : 'message-ligne non-lu' },
      h('a', { href: `#/message/${m.id}` },
        !m.seen && !sent ? vh('Non lu, ') : null,
        h('span', { class: 'ligne-de' }, who), ' ',
        h('span', { class: 'ligne-objet' }, m.subject || '(sans objet)'), ' ',
        h('span', { class: 'ligne-infos' },
          h('time', { datetime: m.date }, dateTime(m.date)),
          m.hasAttachments ? [' ', h('span', { class: 'etiquette' }, 'Pièce jointe')] : null)));
  }

  async function loadMore() {
    if (next == null) return;
    try {
      const page = await load(next, 50);
      const added = page.messages || [];
      messages = messages.concat(added);
      next = page.next ?? null;
      draw();
      status.textContent = added.length > 1 ? `${added.length} messages de plus affichés.` : `${added.length} message de plus affiché.`;
      if (added[0]) listWrap.querySelector(`a[href="#/message/${added[0].id}"]`)?.focus();
    } catch (e) {
      status.textContent = e.message;
    }
  }

  // new mail, or a read mark from another device: reload what is shown
  let reloading = false;
  ctx.listen(window, 'mss:changed', async (e) => {
    const f = e.detail && e.detail.folder;
    if ((f && f !== folder) || reloading) return;
    reloading = true;
    try {
      const page = await load(null, Math.min(100, Math.max(50, messages.length)));
      if (ctx.stale()) return;
      const focusedHref = document.activeElement && listWrap.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
      messages = page.messages || [];
      next = page.next ?? null;
      draw();
      if (focusedHref) listWrap.querySelector(`a[href="${focusedHref}"]`)?.focus();
    } catch { /* keep the list shown */ } finally { reloading = false; }
  });

  draw();
  return {
    title,
    node: h('div', { class: 'ecran' },
      h('h1', null, title),
      sent ? null : summary,
      listWrap, moreWrap, status),
  };
}
