/**
 * The FETCH item list (RFC 3501 §6.4.5) and its modifiers (RFC 7162: CHANGEDSINCE, VANISHED),
 * read from the parsed arguments into a plan: what to answer for each message, and what that
 * costs (the MIME index, a body read, setting \Seen), decided once per command rather than per
 * message.
 */
import type { ImapValue, Partial } from '../protocol/values.js';
import { needsIndex, parseSection, sectionLabel, SectionSyntaxError, type Section } from './sections.js';

export type SimpleItem = 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE' | 'MODSEQ';

export type FetchItem =
  | { kind: SimpleItem }
  | {
      kind: 'section';
      /** the name the answer gives the data: `BODY[1.2]<0>`, `RFC822.HEADER` */
      label: string;
      section: Section;
      partial?: Partial;
      /** fetching it sets \Seen (BODY[…] without PEEK, RFC822, RFC822.TEXT) */
      seen: boolean;
    };

export interface FetchPlan {
  items: FetchItem[];
  /** some item needs the message's MIME index (ENVELOPE, BODY, a part…) */
  needsMime: boolean;
  /** some item sets \Seen on a read-write folder */
  setsSeen: boolean;
  /** RFC 7162: only messages changed after this MODSEQ */
  changedSince?: number;
  /** RFC 7162 §3.2.6: VANISHED (EARLIER) for UIDs of the set expunged after CHANGEDSINCE */
  vanished: boolean;
}

/** the plan asks only for UID, FLAGS and MODSEQ: a client's flag resync, answered from the messages' state alone */
export function onlyState(plan: FetchPlan): boolean {
  return plan.items.every((i) => i.kind === 'UID' || i.kind === 'FLAGS' || i.kind === 'MODSEQ');
}

export class FetchSyntaxError extends Error {
  override name = 'FetchSyntaxError';
}

const MACROS: Record<string, SimpleItem[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/**
 * Body sections one FETCH may ask for. Each is read or built per message (a HEADER.FIELDS.NOT
 * of a large header is as large as the header): no client asks for more than a handful.
 */
export const MAX_SECTIONS = 64;

const SIMPLE = new Set<string>(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'MODSEQ']);
const MIME_ITEMS = new Set<string>(['ENVELOPE', 'BODY', 'BODYSTRUCTURE']);

/** RFC822, RFC822.HEADER, RFC822.TEXT: the old names of BODY[], BODY.PEEK[HEADER], BODY[TEXT]. */
const RFC822: Record<string, { section: Section; seen: boolean }> = {
  RFC822: { section: { path: [] }, seen: true },
  'RFC822.HEADER': { section: { path: [], text: 'HEADER' }, seen: false },
  'RFC822.TEXT': { section: { path: [], text: 'TEXT' }, seen: true },
};

/** RFC 7162 mod-sequence-value: 1 to 2^63-1 (JavaScript numbers hold the MODSEQs we hand out). */
const MODSEQ = /^[0-9]{1,19}$/;

function item(value: ImapValue): FetchItem {
  if (value.type !== 'atom') throw new FetchSyntaxError('Élément de FETCH invalide / A fetch item is an atom');
  const name = value.value.toUpperCase();
  if (name === 'BODY' || name === 'BODY.PEEK') {
    if (value.section === undefined) {
      if (name === 'BODY.PEEK' || value.partial) throw new FetchSyntaxError(`${value.value} demande une section entre crochets / ${value.value} needs a section`);
      return { kind: 'BODY' };
    }
    let section: Section;
    try {
      section = parseSection(value.section);
    } catch (err) {
      if (err instanceof SectionSyntaxError) throw new FetchSyntaxError(err.message);
      throw err;
    }
    const partial = value.partial;
    if (partial && (!Number.isSafeInteger(partial.start) || !Number.isSafeInteger(partial.length) || partial.start < 0 || partial.length < 1)) {
      throw new FetchSyntaxError('Intervalle <début.longueur> invalide / Invalid <start.length> partial');
    }
    const label = `BODY[${sectionLabel(section)}]${partial ? `<${partial.start}>` : ''}`;
    return { kind: 'section', label, section, partial, seen: name === 'BODY' };
  }
  if (value.section !== undefined || value.partial) throw new FetchSyntaxError(`${value.value} ne prend pas de section / ${value.value} takes no section`);
  const old = RFC822[name];
  if (old) return { kind: 'section', label: name, section: old.section, seen: old.seen };
  if (SIMPLE.has(name)) return { kind: name as SimpleItem };
  throw new FetchSyntaxError(`Élément de FETCH inconnu ${value.value} / Unknown fetch item ${value.value}`);
}

function modifiers(value: ImapValue | undefined, plan: FetchPlan): void {
  if (value === undefined) return;
  if (value.type !== 'list' || value.items.length === 0) throw new FetchSyntaxError('Modificateurs de FETCH invalides / Invalid fetch modifiers');
  const items = value.items;
  for (let i = 0; i < items.length; i++) {
    const word = items[i]!;
    const name = word.type === 'atom' ? word.value.toUpperCase() : '';
    if (name === 'CHANGEDSINCE' && plan.changedSince === undefined) {
      const n = items[++i];
      if (!n || n.type !== 'atom' || !MODSEQ.test(n.value)) throw new FetchSyntaxError('CHANGEDSINCE demande un numéro MODSEQ / CHANGEDSINCE needs a mod-sequence');
      plan.changedSince = Number(n.value);
    } else if (name === 'VANISHED' && !plan.vanished) {
      plan.vanished = true;
    } else {
      throw new FetchSyntaxError('Modificateur de FETCH inconnu ou répété / Unknown or repeated fetch modifier');
    }
  }
  if (plan.vanished && plan.changedSince === undefined) throw new FetchSyntaxError('VANISHED demande CHANGEDSINCE / VANISHED needs CHANGEDSINCE');
}

/**
 * The arguments of FETCH after the sequence set: a macro, one item or a list of items, then
 * the optional modifier list. Items asked twice are answered once.
 */
export function parseFetchItems(args: readonly ImapValue[]): FetchPlan {
  const [spec, mods, ...rest] = args;
  if (!spec || rest.length) throw new FetchSyntaxError('FETCH prend un ensemble de messages et des éléments / FETCH takes a message set and items');
  let items: FetchItem[];
  const macro = spec.type === 'atom' && !spec.section && !spec.partial ? MACROS[spec.value.toUpperCase()] : undefined;
  if (macro) items = macro.map((kind) => ({ kind }));
  else if (spec.type === 'list') {
    if (spec.items.length === 0) throw new FetchSyntaxError('Liste d’éléments vide / Empty fetch item list');
    items = spec.items.map(item);
  } else items = [item(spec)];
  const sections = items.filter((i) => i.kind === 'section').length;
  if (sections > MAX_SECTIONS) {
    throw new FetchSyntaxError(
      `Trop de sections dans un FETCH (${sections}, ${MAX_SECTIONS} au plus) / Too many body sections in one FETCH (${sections}, at most ${MAX_SECTIONS})`,
    );
  }

  const seen = new Map<string, FetchItem>();
  const plan: FetchPlan = { items: [], needsMime: false, setsSeen: false, vanished: false };
  for (const it of items) {
    const key = it.kind === 'section' ? it.label : it.kind;
    const twin = seen.get(key);
    if (twin) {
      // BODY.PEEK[] then BODY[]: one answer, and \Seen is set.
      if (twin.kind === 'section' && it.kind === 'section' && it.seen) plan.setsSeen = twin.seen = true;
      continue;
    }
    seen.set(key, it);
    plan.items.push(it);
    if (MIME_ITEMS.has(it.kind) || (it.kind === 'section' && needsIndex(it.section))) plan.needsMime = true;
    if (it.kind === 'section' && it.seen) plan.setsSeen = true;
  }
  modifiers(mods, plan);
  // CHANGEDSINCE answers with each message's MODSEQ (RFC 7162 §3.1.4.1).
  if (plan.changedSince !== undefined && !seen.has('MODSEQ')) plan.items.push({ kind: 'MODSEQ' });
  return plan;
}

/** Makes sure the answer carries the UID (UID FETCH always does, RFC 3501 §6.4.8). */
export function withUid(plan: FetchPlan): FetchPlan {
  if (plan.items.some((i) => i.kind === 'UID')) return plan;
  return { ...plan, items: [{ kind: 'UID' }, ...plan.items] };
}
