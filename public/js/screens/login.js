// Journey 1: log in with the mailbox address and password.
import { post } from '../api.js';
import { h, field, messageSlot } from '../dom.js';
import { waitText } from '../format.js';

export async function render(ctx) {
  const address = field('Adresse de messagerie',
    h('input', { type: 'email', name: 'address', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'none' }),
    'Par exemple : 184127645108946@patient.mssante.fr');
  const password = field('Mot de passe',
    h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true }));
  const message = messageSlot();
  const button = h('button', { type: 'submit', class: 'bouton' }, 'Se connecter');
  let busy = false;

  const form = h('form', { class: 'formulaire', novalidate: true, onsubmit: submit },
    message.el, address.wrap, password.wrap, h('div', { class: 'actions' }, button));

  function linkAll(on) { address.link(message.el.id, on); password.link(message.el.id, on); }

  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    message.clear(); linkAll(false);
    const a = address.control.value.trim();
    const p = password.control.value;
    address.error(a ? null : 'Indiquez votre adresse de messagerie.');
    password.error(p ? null : 'Indiquez votre mot de passe.');
    if (!a || !p) { (a ? password : address).control.focus(); return; }
    busy = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const s = await post('/api/session', { address: a, password: p }, { auth: false });
      ctx.login(s);
    } catch (err) {
      const text = [err.message];
      // the wait, unless the server's message already gives it
      if (err.status === 429 && !/\d/.test(err.message)) { const w = waitText(err.retryAfter); if (w) text.push(w); }
      message.error(text);
      linkAll(true);
      if (err.code === 'INVALID_CREDENTIALS') { password.control.value = ''; }
    } finally {
      busy = false;
      form.removeAttribute('aria-busy');
    }
  }

  return {
    title: 'Connexion',
    node: h('div', { class: 'ecran ecran-etroit' },
      h('h1', null, 'Connexion à ma messagerie santé'),
      h('p', null, 'Retrouvez les messages et les documents que vous envoient vos professionnels de santé.'),
      form),
  };
}
