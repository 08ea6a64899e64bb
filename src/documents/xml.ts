/**
 * Safe XML reading. Health documents need no DTD: a DOCTYPE can only bring external entities
 * (XXE: reading local files, reaching internal hosts) or entity expansion bombs (billion laughs),
 * so any DOCTYPE — hence any ENTITY declaration — is refused outright, before anything uses it.
 * Size and element depth are bounded so a hostile file costs bounded time and memory.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { LONG_TEXT, longTextRuns, type TextRun } from './long-text.js';
import { DocumentProblem, invalid, sanitize } from './problem.js';
import { decodeXml, lenientText } from './xml-encoding.js';

export { decodeXml } from './xml-encoding.js';

export interface XmlElement {
  /** namespace URI ('' when none) */
  ns: string;
  /** local name */
  name: string;
  /** unprefixed attributes by name; namespaced ones by their qualified name (e.g. xsi:type) */
  attributes: ReadonlyMap<string, string>;
  children: XmlElement[];
  /** the element's own character data (text and CDATA), not its descendants' */
  text: string;
}

export interface XmlLimits {
  maxXmlBytes: number;
  maxXmlDepth: number;
}

/** Feeding the parser in slices lets a hostile file be stopped early without a huge string copy. */
const SLICE = 64 * 1024;
/** what peekRoot looks at before it runs the parser */
const HEAD_BYTES = 512;

interface OpenElement extends XmlElement {
  textParts: string[];
}

function toElement(tag: SaxesTagNS): OpenElement {
  const attributes = new Map<string, string>();
  for (const attribute of Object.values(tag.attributes)) {
    if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
    attributes.set(attribute.uri === '' ? attribute.local : attribute.name, attribute.value);
  }
  return { ns: tag.uri, name: tag.local, attributes, children: [], text: '', textParts: [] };
}

function refuseDoctype(): never {
  throw invalid('XML_DOCTYPE', 'the XML has a DOCTYPE declaration (DTDs and entity declarations are refused: XXE, entity expansion)');
}

/**
 * Parses a whole XML file into a tree, within the limits. Throws a DocumentProblem otherwise.
 * Long runs of base64 text skip the parser (see long-text.ts); `longText` is the length from
 * which a run is lifted (tests lower it, or set Infinity to parse everything).
 */
export function parseXml(content: Buffer, limits: XmlLimits, longText = LONG_TEXT): XmlElement {
  if (content.length > limits.maxXmlBytes) {
    throw invalid('XML_SIZE', `the XML file has ${content.length} bytes, more than the ${limits.maxXmlBytes} allowed`);
  }
  const text = decodeXml(content);
  const runs = Number.isFinite(longText) ? longTextRuns(text, longText) : [];
  try {
    return parseText(text, limits, runs);
  } catch (error) {
    // A malformed document is parsed again whole, so that the refusal gives the exact position.
    if (runs.length > 0 && error instanceof DocumentProblem && error.check === 'XML_SYNTAX') return parseText(text, limits, []);
    throw error;
  }
}

function parseText(text: string, limits: XmlLimits, runs: readonly TextRun[]): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: OpenElement[] = [];
  let root: OpenElement | undefined;

  parser.on('doctype', refuseDoctype);
  parser.on('opentag', (tag) => {
    if (stack.length >= limits.maxXmlDepth) {
      throw invalid('XML_DEPTH', `the XML nests elements deeper than the ${limits.maxXmlDepth} levels allowed`);
    }
    const element = toElement(tag);
    const parent = stack.at(-1);
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('text', (data) => stack.at(-1)?.textParts.push(data));
  parser.on('cdata', (data) => stack.at(-1)?.textParts.push(data));
  parser.on('closetag', () => {
    const element = stack.pop();
    if (element) {
      element.text = element.textParts.join('');
      element.textParts = [];
    }
  });
  parser.on('error', (error) => {
    throw invalid('XML_SYNTAX', `the XML is not well-formed: ${sanitize(error.message, 200)}`);
  });

  const feed = (from: number, to: number) => {
    for (let offset = from; offset < to; offset += SLICE) parser.write(text.slice(offset, Math.min(offset + SLICE, to)));
  };
  let done = 0;
  for (const run of runs) {
    feed(done, run.start);
    const open = stack.at(-1);
    // XML reads CR LF and lone CR as LF (end-of-line handling); the parser would have too.
    if (open) open.textParts.push(text.slice(run.start, run.end).replace(/\r\n?/g, '\n'));
    else feed(run.start, run.end); // outside the root element: the parser judges it
    done = run.end;
  }
  feed(done, text.length);
  parser.close();
  if (!root) throw invalid('XML_SYNTAX', 'the XML has no root element');
  return root;
}

export interface RootName {
  ns: string;
  name: string;
}

/** Thrown to stop the parser once the root is seen; never escapes peekRoot. */
class RootFound extends Error {
  constructor(readonly root: RootName) {
    super('root found');
  }
}

/**
 * The root element's name, reading no further than its start tag; undefined when the content is
 * not XML up to its root. Used to tell a CDA from any other attachment before checking it, so the
 * encoding is not judged here (decodeXml does that when the CDA is read): a CDA whose bytes are
 * not what it declares is still recognised as one, and refused for its encoding.
 * A DOCTYPE is tolerated here (nothing is expanded while peeking); parseXml refuses it later.
 */
export function peekRoot(content: Buffer): RootName | undefined {
  // XML starts with '<' once a byte order mark and white space are passed: a letter's text or a
  // PDF is told apart on its first bytes, not by feeding the parser a whole slice of it.
  const head = lenientText(content, HEAD_BYTES).next().value?.trimStart();
  if (head && !head.startsWith('<')) return undefined;
  const parser = new SaxesParser({ xmlns: true, position: false });
  parser.on('opentag', (tag) => {
    throw new RootFound({ ns: tag.uri, name: tag.local });
  });
  parser.on('error', (error) => {
    throw error;
  });
  try {
    for (const text of lenientText(content, SLICE)) parser.write(text);
    parser.close();
  } catch (error) {
    if (error instanceof RootFound) return error.root;
  }
  return undefined;
}

// Navigation helpers: CDA and ebRIM readers only ever look at direct children in one namespace.

export function childrenNamed(element: XmlElement, name: string, ns = element.ns): XmlElement[] {
  return element.children.filter((child) => child.name === name && child.ns === ns);
}

export function childNamed(element: XmlElement | undefined, name: string, ns = element?.ns): XmlElement | undefined {
  return element?.children.find((child) => child.name === name && child.ns === ns);
}

/** The first element at the end of a path of child names, e.g. path(doc, 'recordTarget', 'patientRole'). */
export function path(element: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let current = element;
  for (const name of names) current = childNamed(current, name);
  return current;
}

export function attribute(element: XmlElement | undefined, name: string): string | undefined {
  return element?.attributes.get(name);
}

/** Every element below (not including) the given one, in document order. */
export function* descendants(element: XmlElement): Generator<XmlElement> {
  for (const child of element.children) {
    yield child;
    yield* descendants(child);
  }
}
