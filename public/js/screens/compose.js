// Journeys 4 and 5: write a new message to a contact, or reply to a message.
import { get, post } from '../api.js';
import { h, field, messageSlot } from '../dom.js';
import { personName } from '../format.js';

const RECIPIENT_CODES = new Set(['NO_PRIOR_CONTACT', 'MAILBOX_UNAVAILABLE', 'INVALID_INS', 'CITIZEN_TO_CITIZEN', 'PHARMACY_NEEDS_PRESCRIPTION', 'SENDER_NOT_TRUSTED']);

export async function render(ctx) {
  const replyTo = ctx.query.get('inReplyTo');
  const original = replyTo ? await get(`/api/messages/${encodeURIComponent(replyTo)}`) : null;
  const title = original ? 'Répondre' : 'Nouveau message';
  const head = h('h1', null, title);

  // citizens choose among the professionals who wrote to them; others type an address
  let to;
  let contacts = [];
  if (ctx.citizen) {
    contacts = (await get('/api/contacts')).contacts || [];
    if (original && !contacts.some((c) => c.address === original.from)) {
      contacts = [{ address: original.from, name: original.fromName }, ...contacts];
    }
    if (!contacts.length) {
      return { title, node: h('div', { class: 'ecran ecran-etroit' }, head,
        h('p', { class: 'encadre' }, 'Vous pourrez écrire à un professionnel de santé dès qu’il vous aura écrit. ',
          'Aucun professionnel ne vous a encore écrit.'),
        h('p', null, 'Pour transmettre une ordonnance à une pharmacie, utilisez ', h('a', { href: '#/prescription' }, 'l’envoi d’ordonnance'), '.')) };
    }
    to = field('Destinataire', h('select', { name: 'to', required: true },
      contacts.length > 1 && !original ? h('option', { value: '' }, 'Choisir un destinataire') : null,
      contacts.map((c) => h('option', { value: c.address, selected: original && c.address === original.from }, personName(c.name, c.address)))),
    'Vous pouvez écrire aux professionnels de santé qui vous ont déjà écrit.');
  } else {
    to = field('Destinataire', h('input', { type: 'email', name: 'to', required: true, autocomplete: 'off', value: original ? original.from : '' }));
  }

  const subjectValue = original ? (/^\s*re\s*:/i.test(original.subject || '') ? original.subject : `Re: ${original.subject || ''}`) : '';
  const subject = field('Objet', h('input', { type: 'text', name: 'subject', required: true, maxlength: '250', value: subjectValue }));
  const text = field('Message', h('textarea', { name: 'text', rows: '10', required: true }));
  const slot = messageSlot();
  const form = h('form', { class: 'formulaire', novalidate: true, onsubmit: submit },
    original ? h('p', { class: 'aide' }, `En réponse au message « ${original.subject || '(sans objet)'} » de ${original.fromName || original.from}.`) : null,
    to.wrap, subject.wrap, text.wrap,
    slot.el,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'bouton' }, 'Envoyer'),
      h('a', { class: 'lien-action', href: original ? `#/message/${original.id}` : '#/inbox' }, 'Annuler')));
  let busy = false;

  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    slot.clear(); to.link(slot.el.id, false);
    const values = { to: to.control.value.trim(), subject: subject.control.value.trim(), text: text.control.value };
    to.error(values.to ? null : 'Choisissez un destinataire.');
    subject.error(values.subject ? null : 'Indiquez un objet.');
    text.error(values.text.trim() ? null : 'Écrivez votre message.');
    const bad = [to, subject, text].find((f) => f.control.getAttribute('aria-invalid') === 'true');
    if (bad) { bad.control.focus(); return; }
    busy = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await post('/api/messages', original ? { ...values, inReplyTo: original.id } : values);
      ctx.flash('Votre message a été envoyé.');
      ctx.go('#/sent');
    } catch (err) {
      slot.error(err.message);
      if (RECIPIENT_CODES.has(err.code)) to.link(slot.el.id, true);
    } finally {
      busy = false;
      form.removeAttribute('aria-busy');
    }
  }

  return { title, node: h('div', { class: 'ecran ecran-etroit' }, head, form) };
}
