// Boot, session, hash router, header navigation, live "Nouveau message".
import { api, get, del, setCsrf, setUnauthorizedHandler } from './api.js';
import { h } from './dom.js';

const SITE = 'Messagerie santé';
const $ = (id) => document.getElementById(id);
const view = $('vue');
const announceEl = $('annonce');
const loading = $('chargement');
const nav = $('menu');
const menuButton = $('menu-bouton');
const navLinks = $('menu-liens');

/** route name → screen module and menu entry */
const ROUTES = {
  login: { module: 'login' },
  inbox: { module: 'inbox', label: 'Boîte de réception' },
  sent: { module: 'inbox', label: 'Messages envoyés' },
  compose: { module: 'compose', label: 'Nouveau message' },
  prescription: { module: 'prescription', label: 'Envoyer une ordonnance', citizen: true },
  documents: { module: 'documents', label: 'Mes documents', citizen: true },
  activity: { module: 'activity', label: 'Mon historique' },
  settings: { module: 'settings', label: 'Paramètres' },
  message: { module: 'message' },
};

const state = {
  session: null, // {csrf, mailbox}
  after: null, // where to go after login
  flash: null, // message shown on the next screen
  events: null,
  maxInboxId: 0,
  seq: 0,
  cleanups: [],
  rendered: false,
};

// ---------------------------------------------------------------- announcements
export function announce(text) {
  announceEl.replaceChildren(h('p', null, text));
}
function clearAnnounce() { announceEl.replaceChildren(); }

// ---------------------------------------------------------------- session
function setSession(s) {
  state.session = s;
  setCsrf(s && s.csrf);
  buildNav();
  if (s) startEvents(); else stopEvents();
}
const isCitizen = () => !!state.session && state.session.mailbox && state.session.mailbox.kind === 'CITIZEN';

async function logout(everywhere) {
  try { await del(everywhere ? '/api/sessions' : '/api/session', { auth: false }); } catch { /* ended anyway */ }
  setSession(null);
  state.flash = everywhere ? 'Vous êtes déconnecté de tous vos appareils.' : 'Vous êtes déconnecté.';
  state.after = null;
  go('#/login');
}

setUnauthorizedHandler(() => {
  if (!state.session) return;
  const here = location.hash;
  setSession(null);
  state.after = here.startsWith('#/login') ? null : here;
  state.flash = 'Votre session a expiré. Reconnectez-vous.';
  go('#/login');
});

// ---------------------------------------------------------------- server-sent events
// The first screen's requests go first: on a slow network the event stream and the inbox
// check would otherwise queue before them.
let firstScreenShown;
const firstScreen = new Promise((resolve) => (firstScreenShown = resolve));

function startEvents() {
  stopEvents();
  if (!('EventSource' in window)) return;
  firstScreen.then(() => {
    if (!state.session || state.events) return;
    openEvents();
  });
}
function openEvents() {
  const es = new EventSource('/api/events');
  state.events = es;
  refreshMaxId(false);
  es.addEventListener('changed', (e) => {
    let data = {};
    try { data = JSON.parse(e.data || '{}'); } catch { /* keep {} */ }
    window.dispatchEvent(new CustomEvent('mss:changed', { detail: data }));
    if (!data.folder || data.folder === 'INBOX') refreshMaxId(true);
  });
  es.addEventListener('error', () => {
    if (es.readyState !== EventSource.CLOSED || state.events !== es) return;
    // the server refused the stream (session ended?): ask, then retry later
    state.events = null;
    get('/api/session').then(() => setTimeout(() => { if (state.session && !state.events) startEvents(); }, 15000), () => {});
  });
}
function stopEvents() {
  if (state.events) state.events.close();
  state.events = null;
}
async function refreshMaxId(tell) {
  try {
    const { messages = [] } = await get('/api/messages?folder=INBOX&limit=20');
    const max = messages.reduce((m, x) => Math.max(m, Number(x.id) || 0), 0);
    if (tell && max > state.maxInboxId && messages.some((x) => x.id > state.maxInboxId && !x.seen)) announce('Nouveau message');
    state.maxInboxId = Math.max(state.maxInboxId, max);
  } catch { /* the next event will try again */ }
}

// ---------------------------------------------------------------- navigation
function buildNav() {
  const on = !!state.session;
  nav.hidden = !on;
  menuButton.hidden = !on;
  setMenu(false);
  navLinks.replaceChildren();
  if (!on) return;
  for (const [name, r] of Object.entries(ROUTES)) {
    if (!r.label || (r.citizen && !isCitizen())) continue;
    navLinks.append(h('li', null, h('a', { href: `#/${name}`, 'data-route': name }, r.label)));
  }
  const mb = state.session.mailbox || {};
  $('compte-nom').replaceChildren(h('span', { class: 'vh' }, 'Connecté : '), mb.displayName || mb.address || '');
}
function markNav(name, query) {
  const current = name === 'message' || (name === 'compose' && query.has('inReplyTo')) ? null : name;
  for (const a of navLinks.querySelectorAll('a')) {
    if (a.dataset.route === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
function setMenu(open) {
  menuButton.setAttribute('aria-expanded', String(open));
  nav.classList.toggle('ouvert', open);
}
menuButton.addEventListener('click', () => setMenu(menuButton.getAttribute('aria-expanded') !== 'true'));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && nav.classList.contains('ouvert')) { setMenu(false); menuButton.focus(); }
});
$('deconnexion').addEventListener('click', () => logout(false));

// skip link: the hash belongs to the router, so move focus by hand
document.querySelector('.lien-evitement').addEventListener('click', (e) => {
  e.preventDefault();
  (view.querySelector('h1') || $('contenu')).focus();
});

export function go(hash, { replace = false } = {}) {
  state.seq++; // whatever screen is still loading is now stale
  if (location.hash === hash) { route(); return; }
  if (replace) { history.replaceState(null, '', hash); route(); } else location.hash = hash;
}

function parse() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  return { name: parts[0] || '', args: parts.slice(1).map(decodeURIComponent), query: new URLSearchParams(qs) };
}

async function route() {
  if (location.hash && !location.hash.startsWith('#/')) return; // an in-page anchor
  const seq = ++state.seq;
  for (const fn of state.cleanups.splice(0)) { try { fn(); } catch { /* ignore */ } }
  let { name, args, query } = parse();
  if (!state.session && name !== 'login') {
    if (name) state.after = location.hash;
    history.replaceState(null, '', '#/login');
    name = 'login';
  } else if (state.session && (name === 'login' || !name)) {
    history.replaceState(null, '', '#/inbox');
    name = 'inbox';
  }
  let r = ROUTES[name];
  if (r && r.citizen && !isCitizen()) r = null;
  setMenu(false);
  const cleanups = [];
  const ctx = {
    name, args, query, session: state.session, citizen: isCitizen(), go, announce,
    flash(text) { state.flash = text; },
    onCleanup(fn) { cleanups.push(fn); },
    listen(target, type, fn) { target.addEventListener(type, fn); cleanups.push(() => target.removeEventListener(type, fn)); },
    stale: () => seq !== state.seq,
    login: (s) => { setSession(s); const to = state.after; state.after = null; go(to && !to.startsWith('#/login') ? to : '#/inbox'); },
    logout,
  };
  $('contenu').setAttribute('aria-busy', 'true');
  const timer = setTimeout(() => { if (seq === state.seq) loading.hidden = false; }, 300);
  let screen;
  try {
    if (!r) screen = notFound();
    else screen = await (await import(`./screens/${r.module}.js`)).render(ctx);
  } catch (e) {
    screen = failure(e);
  }
  clearTimeout(timer);
  if (seq !== state.seq) { cleanups.forEach((fn) => fn()); return; }
  state.cleanups = cleanups;
  loading.hidden = true;
  $('contenu').removeAttribute('aria-busy');
  view.replaceChildren(screen.node);
  document.title = `${screen.title} – ${SITE}`;
  markNav(name, query);
  clearAnnounce();
  if (state.flash) { announce(state.flash); state.flash = null; }
  const h1 = view.querySelector('h1');
  if (h1) {
    h1.tabIndex = -1;
    if (state.rendered) h1.focus();
  }
  state.rendered = true;
  window.scrollTo(0, 0);
}

function notFound() {
  return { title: 'Page introuvable', node: h('div', null,
    h('h1', null, 'Page introuvable'),
    h('p', null, 'Cette page n’existe pas. ', h('a', { href: '#/inbox' }, 'Revenir à la boîte de réception'))) };
}
function failure(e) {
  const title = e && e.status === 404 ? 'Élément introuvable' : 'Une erreur est survenue';
  return { title, node: h('div', null,
    h('h1', null, title),
    h('p', { class: 'erreur-bloc', role: 'alert' }, (e && e.message) || 'Une erreur est survenue.'),
    h('p', null, h('a', { href: '#/inbox' }, 'Revenir à la boîte de réception'))) };
}

// ---------------------------------------------------------------- boot
window.addEventListener('hashchange', route);
(async () => {
  // The server wrote the session into the page; without it, nobody is logged in.
  let given = null;
  try {
    const meta = document.querySelector('meta[name="mss-session"]');
    given = meta && meta.content ? JSON.parse(meta.content) : null;
  } catch { given = null; }
  setSession(given && given.csrf ? given : null);
  await route();
  firstScreenShown();
})();
