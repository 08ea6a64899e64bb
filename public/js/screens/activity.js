// Journey 8: the activity history, newest first, with "Voir plus".
import { get, withQuery } from '../api.js';
import { h } from '../dom.js';
import { dateTime } from '../format.js';

// only a failure is worth a word: `label` already says what was done
const ACTORS = { cli: 'l’exploitant de la messagerie', system: 'la messagerie', systeme: 'la messagerie' };
const FAILED = { refused: 'refusé', denied: 'refusé', rejected: 'refusé', blocked: 'refusé', error: 'échec', failed: 'échec', failure: 'échec' };

export async function render(ctx) {
  const title = 'Mon historique';
  const me = ctx.session && ctx.session.mailbox && ctx.session.mailbox.address;
  let page = await get('/api/activity');
  let next = page.next ?? null;
  const list = h('ol', { class: 'historique' });
  const status = h('p', { class: 'aide', role: 'status' });
  const more = h('button', { type: 'button', class: 'bouton secondaire', onclick: loadMore }, 'Voir plus');
  const moreWrap = h('div', { class: 'actions', hidden: next == null }, more);

  function entry(e) {
    const o = FAILED[String(e.outcome || '').toLowerCase()];
    return h('li', { class: 'evenement', tabindex: '-1', 'data-id': e.id },
      h('p', { class: 'evenement-quoi' }, e.label || e.action || ''),
      h('p', { class: 'evenement-infos' },
        h('span', null, 'Par : ', !e.actor || e.actor === me ? 'vous' : ACTORS[e.actor] || e.actor), ' · ',
        h('time', { datetime: e.at }, dateTime(e.at)),
        o ? [' · ', h('span', null, `Résultat : ${o}`)] : null));
  }
  function add(entries) { list.append(...entries.map(entry)); }

  async function loadMore() {
    if (next == null) return;
    try {
      page = await get(withQuery('/api/activity', { before: next }));
      const entries = page.entries || [];
      next = page.next ?? null;
      const firstNew = entries.length ? entry(entries[0]) : null;
      if (firstNew) { list.append(firstNew); add(entries.slice(1)); }
      moreWrap.hidden = next == null;
      status.textContent = `${entries.length} action${entries.length > 1 ? 's' : ''} de plus affichée${entries.length > 1 ? 's' : ''}.`;
      if (firstNew) firstNew.focus();
    } catch (e) {
      status.textContent = e.message;
    }
  }

  const entries = page.entries || [];
  add(entries);
  return {
    title,
    node: h('div', { class: 'ecran' },
      h('h1', null, title),
      h('p', null, 'Ce qui a été fait dans votre messagerie et vos documents : lectures, téléchargements, classements, envois.'),
      entries.length ? list : h('p', { class: 'vide' }, 'Aucune action pour l’instant.'),
      moreWrap, status),
  };
}
