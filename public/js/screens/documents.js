// Journey 7: my documents, by category, with their versions.
import { get, getOnce } from '../api.js';
import { h, vh, uid, field } from '../dom.js';
import { dateOnly } from '../format.js';

export async function render(ctx) {
  const title = 'Mes documents';
  const me = ctx.session && ctx.session.mailbox && ctx.session.mailbox.address;
  const [{ categories = [] }, { documents = [] }] = await Promise.all([
    getOnce('/api/record/categories'), get('/api/record/documents')]);
  const known = new Set(categories.map((c) => c.code));
  // a category the list does not name still gets its section, at the end
  const cats = categories.concat([...new Set(documents.map((d) => d.category))]
    .filter((c) => c && !known.has(c))
    .map((c) => ({ code: c, label: (documents.find((d) => d.category === c) || {}).categoryLabel || c })));
  const count = (code) => documents.filter((d) => d.category === code && d.status !== 'replaced').length;

  const filter = field('Catégorie', h('select', { name: 'categorie' },
    h('option', { value: '' }, 'Toutes les catégories'),
    cats.map((c) => h('option', { value: c.code, selected: ctx.query.get('categorie') === c.code }, `${c.label} (${count(c.code)})`))));
  const list = h('div', { class: 'documents' });
  const status = h('p', { class: 'aide', role: 'status' });

  function draw() {
    const code = filter.control.value;
    const shown = cats.filter((c) => (!code || c.code === code) && documents.some((d) => d.category === c.code));
    list.replaceChildren(...(shown.length ? shown.map(section)
      : [h('p', { class: 'vide' }, code ? 'Aucun document dans cette catégorie.' : 'Vous n’avez encore aucun document.')]));
    const n = documents.filter((d) => !code || d.category === code).length;
    status.textContent = n ? `${n} document${n > 1 ? 's' : ''} affiché${n > 1 ? 's' : ''}.` : '';
  }
  filter.control.addEventListener('change', draw);

  function section(c) {
    const id = uid('cat');
    const docs = documents.filter((d) => d.category === c.code);
    return h('section', { class: 'categorie', 'aria-labelledby': id },
      h('h2', { id }, c.label),
      h('ul', { class: 'documents-liste' }, docs.map(doc)));
  }

  function doc(d) {
    const replaced = d.status === 'replaced';
    const name = d.title || 'Document';
    const isPrescription = d.category === 'ORDONNANCES_SOINS' || /ordonnance/i.test(d.categoryLabel || '');
    return h('li', { class: replaced ? 'document remplace' : 'document', 'data-testid': `document-${d.id}` },
      h('h3', null, name),
      replaced ? h('p', { class: 'etiquette remplace-texte' }, 'Remplacé par une version plus récente') : null,
      h('dl', { class: 'document-infos' },
        d.author ? info('Auteur', d.author === me ? 'Vous' : d.author) : null,
        d.date ? info('Date', h('time', { datetime: d.date }, dateOnly(d.date))) : null,
        d.version > 1 ? info('Version', String(d.version)) : null,
        d.filedAt ? info('Ajouté le', h('time', { datetime: d.filedAt }, dateOnly(d.filedAt))) : null),
      h('p', { class: 'document-liens' },
        // the API answers with the file as an attachment: a download, not a page
        h('a', { href: `/api/record/documents/${d.id}/content`, download: '' },
          d.hasPdf ? 'Télécharger le PDF' : 'Télécharger le document', vh(` : ${name}${replaced ? ' (ancienne version)' : ''}`)),
        d.hasPdf && d.source === 'message' ? [' ', h('a', { href: `/api/record/documents/${d.id}/content?format=cda`, download: '' },
          'Télécharger le fichier CDA', vh(` : ${name}${replaced ? ' (ancienne version)' : ''}`))] : null,
        isPrescription && !replaced && ctx.citizen ? [' ', h('a', { href: `#/prescription?document=${d.id}` },
          'Envoyer à une pharmacie', vh(` : ${name}`))] : null));
  }

  draw();
  return {
    title,
    node: h('div', { class: 'ecran' },
      h('h1', null, title),
      h('p', null, 'Les documents que vous envoient vos professionnels de santé, et ceux que vous avez enregistrés depuis vos messages.'),
      h('div', { class: 'filtre' }, filter.wrap), status, list),
  };

  function info(term, value) { return h('div', null, h('dt', null, term), h('dd', null, value)); }
}
