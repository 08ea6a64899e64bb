/**
 * LIST and LSUB (RFC 3501 §6.3.8-9), with what clients use of LIST-EXTENDED (RFC 5258:
 * selection options, several patterns, RETURN), SPECIAL-USE (RFC 6154), CHILDREN (RFC 3348)
 * and LIST-STATUS (RFC 5819). Every folder carries \HasChildren or \HasNoChildren and its
 * special-use attribute; a level that only exists because folders sit below it is \Noselect
 * (\NonExistent in the extended form). Names are matched in UTF-8 and written in modified UTF-7.
 */
import { FOLDER_DELIMITER, type Folder } from '../../store/types.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { ok } from '../command.js';
import { atom, list, str, type ImapOut, type ImapValue } from '../protocol/values.js';
import { decodeMailboxName, encodeMailboxName } from '../utf7.js';
import { MAX_PATTERN_LENGTH, matchesPattern } from './list-pattern.js';
import { answerFor, ArgumentError, textArg, userOf } from './mailbox-args.js';
import { sayStatus, statusItems, type StatusItem } from './status.js';

interface ListRequest {
  lsub: boolean;
  /** the RFC 5258 form: a selection list, several patterns or RETURN */
  extended: boolean;
  selectSubscribed: boolean;
  selectSpecialUse: boolean;
  recursiveMatch: boolean;
  returnSubscribed: boolean;
  returnStatus?: StatusItem[];
  reference: string;
  patterns: string[];
}

const atomOf = (v: ImapValue): string => (v.type === 'atom' ? v.value.toUpperCase() : '');

function parseRequest(args: ImapValue[], lsub: boolean): ListRequest {
  const request: ListRequest = {
    lsub,
    extended: false,
    selectSubscribed: false,
    selectSpecialUse: false,
    recursiveMatch: false,
    returnSubscribed: false,
    reference: '',
    patterns: [],
  };
  let i = 0;
  const first = args[0];
  if (!lsub && first?.type === 'list') {
    request.extended = true;
    for (const option of first.items) {
      const name = atomOf(option);
      if (name === 'SUBSCRIBED') request.selectSubscribed = true;
      else if (name === 'SPECIAL-USE') request.selectSpecialUse = true;
      else if (name === 'RECURSIVEMATCH') request.recursiveMatch = true;
      else if (name !== 'REMOTE') throw new ArgumentError(`Option de sélection inconnue / Unknown selection option: ${textOf(option)}`);
    }
    // RFC 5258 §3: RECURSIVEMATCH only modifies another option
    if (request.recursiveMatch && !request.selectSubscribed) {
      throw new ArgumentError('RECURSIVEMATCH exige SUBSCRIBED / RECURSIVEMATCH needs SUBSCRIBED');
    }
    i = 1;
  }
  request.reference = textArg(args[i], 'référence / reference');
  const patterns = args[i + 1];
  if (!lsub && patterns?.type === 'list') {
    request.extended = true;
    if (patterns.items.length === 0) throw new ArgumentError('Liste de motifs vide / Empty pattern list');
    request.patterns = patterns.items.map((p) => textArg(p, 'motif / pattern'));
  } else {
    request.patterns = [textArg(patterns, 'motif / pattern')];
  }
  // Matching costs pattern × name per folder: a pattern is short, and so are all of them together.
  const lengths = request.patterns.map((p) => request.reference.length + p.length);
  if (Math.max(...lengths) > MAX_PATTERN_LENGTH || lengths.reduce((a, b) => a + b, 0) > 4 * MAX_PATTERN_LENGTH) {
    throw new ArgumentError(
      `Motif trop long (${MAX_PATTERN_LENGTH} caractères au plus, ${4 * MAX_PATTERN_LENGTH} pour tous) / Pattern too long (at most ${MAX_PATTERN_LENGTH} characters, ${4 * MAX_PATTERN_LENGTH} for all)`,
    );
  }
  i += 2;
  if (!lsub && args[i] && atomOf(args[i]!) === 'RETURN') {
    request.extended = true;
    const options = args[i + 1];
    if (options?.type !== 'list') throw new ArgumentError('Liste RETURN attendue / RETURN list expected');
    for (let k = 0; k < options.items.length; k++) {
      const name = atomOf(options.items[k]!);
      if (name === 'SUBSCRIBED') request.returnSubscribed = true;
      else if (name === 'STATUS') request.returnStatus = statusItems(options.items[++k]);
      else if (name !== 'CHILDREN' && name !== 'SPECIAL-USE') {
        throw new ArgumentError(`Option RETURN inconnue / Unknown RETURN option: ${textOf(options.items[k]!)}`);
      }
    }
    i += 2;
  }
  if (i !== args.length) throw new ArgumentError(`Arguments en trop pour ${lsub ? 'LSUB' : 'LIST'} / Too many arguments for ${lsub ? 'LSUB' : 'LIST'}`);
  return request;
}

function textOf(v: ImapValue): string {
  return v.type === 'atom' ? v.value : v.type === 'string' ? v.value.toString('latin1') : v.type;
}

/** the folders of the mailbox, and the levels that only exist because of what is below them */
interface Tree {
  folders: Map<string, Folder>;
  /** every name some folder sits below */
  parents: Set<string>;
  /** existing and implied names, INBOX first */
  names: string[];
  /** names that have a subscribed folder somewhere below them */
  subscribedBelow: Set<string>;
}

function treeOf(folders: Folder[]): Tree {
  const byName = new Map(folders.map((f) => [f.name, f]));
  const parents = new Set<string>();
  const subscribedBelow = new Set<string>();
  for (const folder of folders) {
    for (let at = folder.name.indexOf(FOLDER_DELIMITER); at !== -1; at = folder.name.indexOf(FOLDER_DELIMITER, at + 1)) {
      const parent = folder.name.slice(0, at);
      parents.add(parent);
      if (folder.subscribed) subscribedBelow.add(parent);
    }
  }
  const names = [...new Set([...byName.keys(), ...parents])].sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return { folders: byName, parents, names, subscribedBelow };
}

/** a pattern (reference + pattern, RFC 3501 §6.3.8) as a matcher of store names */
function matcher(reference: string, pattern: string): (name: string) => boolean {
  const wire = reference + pattern;
  try {
    const text = decodeMailboxName(wire);
    return (name) => matchesPattern(text, name);
  } catch {
    // a pattern that is not valid modified UTF-7 (a wildcard inside a shift) matches the wire form
    return (name) => matchesPattern(wire, encodeMailboxName(name));
  }
}

interface Entry {
  name: string;
  attributes: string[];
  childInfo?: boolean;
  folder?: Folder;
}

function listEntries(request: ListRequest, tree: Tree, matches: (name: string) => boolean): Entry[] {
  const out: Entry[] = [];
  for (const name of tree.names) {
    if (!matches(name)) continue;
    const folder = tree.folders.get(name);
    const children = tree.parents.has(name) ? '\\HasChildren' : '\\HasNoChildren';
    const attributes: string[] = folder ? [children] : [request.extended ? '\\NonExistent' : '\\Noselect', children];
    if (folder?.specialUse) attributes.push(folder.specialUse);
    const subscribed = folder?.subscribed ?? false;
    if (subscribed && (request.returnSubscribed || request.selectSubscribed)) attributes.push('\\Subscribed');
    if (request.selectSpecialUse && !folder?.specialUse) continue;
    if (request.selectSubscribed && !subscribed) {
      // RFC 5258 §3.5: a level that is not selected itself but has selected folders below
      if (request.recursiveMatch && tree.subscribedBelow.has(name)) out.push({ name, attributes, childInfo: true, folder });
      continue;
    }
    out.push({ name, attributes, folder });
  }
  return out;
}

/** RFC 3501 §6.3.9: a level above a subscribed folder the pattern does not reach is \Noselect */
function lsubEntries(tree: Tree, matches: (name: string) => boolean): Entry[] {
  const subscribed = [...tree.folders.values()].filter((f) => f.subscribed);
  const covered = new Set<string>();
  for (const folder of subscribed) {
    if (matches(folder.name)) continue;
    for (let at = folder.name.indexOf(FOLDER_DELIMITER); at !== -1; at = folder.name.indexOf(FOLDER_DELIMITER, at + 1)) {
      const parent = folder.name.slice(0, at);
      if (matches(parent)) covered.add(parent);
    }
  }
  const out: Entry[] = [];
  for (const name of tree.names) {
    const folder = tree.folders.get(name);
    if (folder?.subscribed && matches(name)) out.push({ name, attributes: [], folder });
    else if (covered.has(name)) out.push({ name, attributes: ['\\Noselect'] });
  }
  return out;
}

async function answer(ctx: CommandContext, request: ListRequest): Promise<void> {
  const word = request.lsub ? 'LSUB' : 'LIST';
  const delimiter = str(FOLDER_DELIMITER);
  const patterns = request.patterns.filter((p) => p !== '');
  // RFC 3501: an empty pattern asks for the delimiter (and the root, empty here)
  if (patterns.length < request.patterns.length) ctx.untagged(atom(word), list([atom('\\Noselect')]), delimiter, str(''));
  if (patterns.length === 0) return;
  const tree = treeOf(await ctx.services.store.folders.list(userOf(ctx.session).mailboxId));
  const matchers = patterns.map((p) => matcher(request.reference, p));
  const matches = (name: string) => matchers.some((m) => m(name));
  const entries = request.lsub ? lsubEntries(tree, matches) : listEntries(request, tree, matches);
  for (const entry of entries) {
    const items: ImapOut[] = [atom(word), list(entry.attributes.map(atom)), delimiter, str(encodeMailboxName(entry.name))];
    if (entry.childInfo) items.push(list([str('CHILDINFO'), list([str('SUBSCRIBED')])]));
    ctx.untagged(...items);
    if (request.returnStatus && entry.folder) await sayStatus(ctx, entry.folder, request.returnStatus);
  }
}

function listing(name: 'LIST' | 'LSUB'): CommandSpec {
  return {
    name,
    states: ['authenticated', 'selected'],
    async handle(ctx, command) {
      try {
        await answer(ctx, parseRequest(command.args, name === 'LSUB'));
        return ok(`${name} terminé / ${name} completed`);
      } catch (error) {
        return answerFor(error);
      }
    },
  };
}

export const listCommand = listing('LIST');
export const lsub = listing('LSUB');
