// Journey 9: notification address, log out here or everywhere.
import { get, put } from '../api.js';
import { h, uid, field, messageSlot } from '../dom.js';

const looksLikeEmail = (s) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s);

export async function render(ctx) {
  const title = 'Paramètres';
  const settings = await get('/api/settings').catch((e) => { if (e.status === 401) throw e; return null; });
  const mb = (ctx.session && ctx.session.mailbox) || {};

  const notifTitle = uid('titre');
  const email = field('Adresse e-mail personnelle',
    h('input', { type: 'email', name: 'personalEmail', autocomplete: 'email', spellcheck: 'false', value: (settings && settings.personalEmail) || '' }),
    'Nous y envoyons un simple avis quand vous avez un nouveau message ou un nouveau document, sans jamais en dire le contenu. Laissez vide pour ne plus être prévenu.');
  const slot = messageSlot();
  let busy = false;
  const form = h('form', { class: 'formulaire', novalidate: true, onsubmit: save },
    email.wrap, slot.el, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'bouton' }, 'Enregistrer')));

  async function save(e) {
    e.preventDefault();
    if (busy) return;
    slot.clear(); email.link(slot.el.id, false);
    const value = email.control.value.trim();
    if (value && !looksLikeEmail(value)) {
      email.error('Indiquez une adresse e-mail valide, par exemple prenom.nom@exemple.fr.');
      email.control.focus();
      return;
    }
    email.error(null);
    busy = true;
    try {
      const res = await put('/api/settings', { personalEmail: value || null });
      const saved = res && 'personalEmail' in res ? res.personalEmail : value || null;
      email.control.value = saved || '';
      slot.success(saved
        ? `C’est enregistré : les avis seront envoyés à ${saved}.`
        : 'C’est enregistré : vous ne recevrez plus d’avis par e-mail.');
    } catch (err) {
      slot.error(err.message);
      email.link(slot.el.id, true);
    } finally { busy = false; }
  }

  const sessTitle = uid('titre');
  return {
    title,
    node: h('div', { class: 'ecran ecran-etroit' },
      h('h1', null, title),
      h('p', null, 'Adresse de votre messagerie : ', h('strong', { class: 'adresse' }, mb.address || '')),
      h('section', { 'aria-labelledby': notifTitle },
        h('h2', { id: notifTitle }, 'Être prévenu par e-mail'),
        settings ? form : h('p', { class: 'erreur-bloc', role: 'alert' }, 'Vos préférences de notification ne peuvent pas être lues pour le moment.')),
      h('section', { 'aria-labelledby': sessTitle },
        h('h2', { id: sessTitle }, 'Sécurité'),
        h('p', null, 'Un appareil perdu, un ordinateur partagé ? Fermez toutes les sessions ouvertes avec votre compte, y compris celle-ci.'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'bouton secondaire', onclick: () => ctx.logout(true) }, 'Me déconnecter de tous mes appareils')))),
  };
}
