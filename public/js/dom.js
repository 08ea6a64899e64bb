// Tiny element builder. Text always goes through text nodes (never innerHTML).
let counter = 0;
/** A unique id for label/field/error links. */
export const uid = (prefix = 'id') => `${prefix}-${++counter}`;

const PROPS = new Set(['value', 'checked']);

/** h('p', {class: 'x', onclick: fn, 'aria-live': 'polite'}, 'texte', child, [more]) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (PROPS.has(k)) el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Visually hidden text, read by screen readers. */
export const vh = (text) => h('span', { class: 'vh' }, text);

/** A form field: label, optional hint, error slot (role=alert) linked by aria-describedby. */
export function field(labelText, control, hintText) {
  const id = control.id || (control.id = uid('champ'));
  const hint = hintText ? h('p', { class: 'aide', id: `${id}-aide` }, hintText) : null;
  const error = h('p', { class: 'erreur', id: `${id}-erreur`, role: 'alert', hidden: true });
  const wrap = h('div', { class: 'champ' }, h('label', { for: id }, labelText), hint, control, error);
  const extra = new Set();
  const describe = () => {
    const ids = [hint && hint.id, !error.hidden && error.id, ...extra].filter(Boolean);
    if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
    else control.removeAttribute('aria-describedby');
  };
  describe();
  return {
    wrap, control,
    /** Show (or clear with null) this field's own error. */
    error(message) {
      error.textContent = message || '';
      error.hidden = !message;
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
      describe();
    },
    /** Also describe the field by another element (a form-level error). */
    link(otherId, on = true) {
      if (on) extra.add(otherId); else extra.delete(otherId);
      describe();
    },
  };
}

/** A form-level message slot: error (role=alert) or success (role=status), hidden while empty. */
export function messageSlot() {
  const el = h('div', { class: 'message-formulaire', id: uid('msg'), hidden: true });
  return {
    el,
    error(text) { show(el, 'alert', 'erreur-bloc', text); },
    success(text) { show(el, 'status', 'succes-bloc', text); },
    clear() { el.hidden = true; el.replaceChildren(); el.removeAttribute('role'); },
  };
}
function show(el, role, cls, text) {
  el.replaceChildren();
  el.setAttribute('role', role);
  el.className = `message-formulaire ${cls}`;
  el.hidden = false;
  append(el, [text].flat().map((t) => (t instanceof Node ? t : h('p', null, t))));
}

// ---- the message's HTML: already sanitised by the server; filtered again here (defence in depth)
const KEEP = new Set(('a abbr b blockquote br caption cite code dd del div dl dt em figcaption figure ' +
  'h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s small span strong sub sup table tbody td ' +
  'tfoot th thead tr u ul').split(' '));
const DROP = new Set('script style template iframe frame object embed form input button select textarea link meta base svg math noscript title head'.split(' '));
const ATTRS = { a: ['href', 'title'], img: ['src', 'alt', 'width', 'height'], td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan', 'scope'], ol: ['start'], abbr: ['title'] };

/** Put the server-sanitised HTML of a message into `container`, headings moved under `level`. */
export function insertMessageHtml(container, html, level = 2) {
  const doc = new DOMParser().parseFromString(String(html), 'text/html');
  clean(doc.body, level);
  container.replaceChildren(...doc.body.childNodes);
}
function clean(node, level) {
  for (const child of [...node.childNodes]) {
    if (child.nodeType === 3) continue;
    if (child.nodeType !== 1) { child.remove(); continue; }
    const tag = child.localName;
    if (DROP.has(tag)) { child.remove(); continue; }
    clean(child, level);
    if (!KEEP.has(tag)) { child.replaceWith(...child.childNodes); continue; }
    let el = child;
    const m = /^h([1-6])$/.exec(tag);
    if (m) {
      el = document.createElement(`h${Math.min(6, Number(m[1]) + level)}`);
      el.append(...child.childNodes);
      child.replaceWith(el);
    }
    const keep = ATTRS[tag] || [];
    for (const a of [...el.attributes]) if (!keep.includes(a.name)) el.removeAttribute(a.name);
    if (tag === 'a') {
      const href = el.getAttribute('href') || '';
      if (!/^(https?:|mailto:|tel:)/i.test(href)) el.removeAttribute('href');
      else { el.target = '_blank'; el.rel = 'noopener noreferrer'; }
    }
    if (tag === 'img') {
      // inline images are served by the API (cid: rewritten by the server); nothing remote
      if (!/^(data:image\/|blob:|\/api\/messages\/\d+\/attachments\/\d+$)/i.test(el.getAttribute('src') || '')) { el.remove(); continue; }
      if (!el.hasAttribute('alt')) el.alt = 'Image du message';
    }
  }
}
