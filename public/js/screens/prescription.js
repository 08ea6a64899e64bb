// Journey 6: send an ordonnance from my documents to a pharmacy.
import { get, post, getOnce, withQuery } from '../api.js';
import { h, uid, field, messageSlot } from '../dom.js';
import { dateOnly } from '../format.js';

const CATEGORY = 'ORDONNANCES_SOINS';

export async function render(ctx) {
  const title = 'Envoyer une ordonnance';
  const head = h('h1', null, title);
  let code = CATEGORY;
  const cats = (await getOnce('/api/record/categories').catch(() => ({ categories: [] }))).categories || [];
  if (cats.length && !cats.some((c) => c.code === CATEGORY)) {
    code = (cats.find((c) => /ordonnance/i.test(c.label)) || { code: CATEGORY }).code;
  }
  const docs = ((await get(withQuery('/api/record/documents', { category: code }))).documents || [])
    .filter((d) => d.status !== 'replaced');
  if (!docs.length) {
    return { title, node: h('div', { class: 'ecran ecran-etroit' }, head,
      h('p', { class: 'encadre' }, 'Vous n’avez aucune ordonnance dans vos documents. ',
        'Les ordonnances que vous envoient vos professionnels de santé y sont classées automatiquement.')) };
  }
  const wanted = ctx.query.get('document');

  // 1. the ordonnance
  const docGroup = group('Ordonnance à envoyer', docs.map((d, i) => radio('document', String(d.id),
    [h('span', { class: 'choix-titre' }, d.title || 'Ordonnance'), ' ',
      h('span', { class: 'choix-infos' }, [d.author, dateOnly(d.date)].filter(Boolean).join(' · '))],
    wanted ? String(d.id) === wanted : docs.length === 1 && i === 0)));

  // 2. the pharmacy
  const search = field('Rechercher une pharmacie', h('input', { type: 'search', name: 'q', autocomplete: 'off' }),
    'Son nom ou sa commune, puis « Rechercher ».');
  const results = h('div', { class: 'resultats' });
  const resultsStatus = h('p', { class: 'aide', role: 'status' });
  const pharmGroup = group('Pharmacie', [results]);
  pharmGroup.fs.hidden = true;
  let searchSeq = 0;
  let timer = null;
  async function runSearch() {
    clearTimeout(timer);
    const q = search.control.value.trim();
    const seq = ++searchSeq;
    resultsStatus.textContent = 'Recherche en cours…';
    try {
      const { pharmacies = [] } = await get(withQuery('/api/directory/pharmacies', { q }));
      if (seq !== searchSeq || ctx.stale()) return;
      const chosen = form.querySelector('input[name="pharmacy"]:checked')?.value;
      results.replaceChildren(...pharmacies.map((p) => radio('pharmacy', p.address,
        [h('span', { class: 'choix-titre' }, p.name || p.address),
          p.town ? [', ', h('span', { class: 'choix-ville' }, p.town)] : null, ' ',
          h('span', { class: 'choix-infos' }, p.address)],
        p.address === chosen)));
      pharmGroup.fs.hidden = !pharmacies.length;
      resultsStatus.textContent = pharmacies.length
        ? `${pharmacies.length} pharmacie${pharmacies.length > 1 ? 's' : ''} trouvée${pharmacies.length > 1 ? 's' : ''}.`
        : 'Aucune pharmacie trouvée. Essayez un autre nom ou une autre commune.';
      pharmGroup.error(null);
    } catch (e) {
      if (seq === searchSeq) resultsStatus.textContent = e.message;
    }
  }
  search.control.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); runSearch(); } });
  search.control.addEventListener('input', () => {
    clearTimeout(timer);
    if (search.control.value.trim().length >= 2) timer = setTimeout(runSearch, 400);
  });
  ctx.onCleanup(() => clearTimeout(timer));

  // 3. a note
  const note = field('Note pour la pharmacie (facultatif)', h('textarea', { name: 'note', rows: '4' }),
    'Par exemple : le jour où vous passerez chercher vos médicaments.');
  const slot = messageSlot();
  let busy = false;
  const form = h('form', { class: 'formulaire', novalidate: true, onsubmit: submit },
    docGroup.fs,
    h('div', { class: 'recherche' }, search.wrap,
      h('button', { type: 'button', class: 'bouton secondaire', onclick: runSearch }, 'Rechercher')),
    resultsStatus,
    pharmGroup.fs,
    note.wrap,
    slot.el,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'bouton' }, 'Envoyer')));

  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    slot.clear();
    const doc = form.querySelector('input[name="document"]:checked');
    const pharmacy = form.querySelector('input[name="pharmacy"]:checked');
    docGroup.error(doc ? null : 'Choisissez l’ordonnance à envoyer.');
    pharmGroup.error(pharmacy ? null : 'Recherchez puis choisissez une pharmacie.');
    if (!pharmacy && pharmGroup.fs.hidden) search.error('Recherchez puis choisissez une pharmacie.'); else search.error(null);
    if (!doc) { docGroup.fs.querySelector('input').focus(); return; }
    if (!pharmacy) { (pharmGroup.fs.hidden ? search.control : pharmGroup.fs.querySelector('input')).focus(); return; }
    busy = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await post('/api/messages', {
        to: pharmacy.value,
        subject: 'Ordonnance',
        text: note.control.value.trim() || 'Bonjour, veuillez trouver ci-joint mon ordonnance.',
        recordDocumentIds: [Number(doc.value)],
      });
      ctx.flash('Votre ordonnance a été envoyée à la pharmacie.');
      ctx.go('#/sent');
    } catch (err) {
      slot.error(err.message);
    } finally {
      busy = false;
      form.removeAttribute('aria-busy');
    }
  }

  return {
    title,
    node: h('div', { class: 'ecran ecran-etroit' }, head,
      h('p', null, 'Choisissez une ordonnance de vos documents et la pharmacie qui la recevra. La pharmacie pourra vous répondre dans votre messagerie.'),
      form),
  };
}

/** A fieldset of radio buttons with a legend and an error slot. */
function group(legend, children) {
  const errId = uid('erreur');
  const err = h('p', { class: 'erreur', id: errId, role: 'alert', hidden: true });
  const fs = h('fieldset', { class: 'groupe-choix' }, h('legend', null, legend), err, children);
  return {
    fs,
    error(message) {
      err.textContent = message || '';
      err.hidden = !message;
      if (message) fs.setAttribute('aria-describedby', errId); else fs.removeAttribute('aria-describedby');
    },
  };
}

function radio(name, value, label, checked) {
  const id = uid(name);
  return h('div', { class: 'choix' },
    h('input', { type: 'radio', name, id, value, checked: !!checked }),
    h('label', { for: id }, label));
}
