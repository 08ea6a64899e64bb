/**
 * Reads a trust list: the national MSSanté white-list XML, whose domains are the text of
 * `Domaine/Nom` elements, or a plain list with one domain a line (# starts a comment).
 * The XML is read with a non-validating parser and any DOCTYPE is refused: no entities.
 */
import { SaxesParser } from 'saxes';
import { ValidationError } from '../errors.js';

function fromXml(text: string, source: string): string[] {
  const parser = new SaxesParser({ xmlns: false });
  const stack: string[] = [];
  const domains: string[] = [];
  let current = '';
  parser.on('doctype', () => {
    throw new ValidationError(`${source}: a DOCTYPE is not allowed in a trust list`);
  });
  parser.on('opentag', (tag) => {
    stack.push(localName(tag.name));
    current = '';
  });
  parser.on('text', (t) => (current += t));
  parser.on('closetag', (tag) => {
    const name = localName(tag.name);
    if (name === 'Nom' && stack[stack.length - 2] === 'Domaine') domains.push(current.trim());
    stack.pop();
    current = '';
  });
  try {
    parser.write(text).close();
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(`${source}: not well-formed XML (${(err as Error).message})`);
  }
  if (domains.length === 0) throw new ValidationError(`${source}: no Domaine/Nom element found`);
  return domains;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

function fromLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
}

export function parseTrustList(text: string, source: string): string[] {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  const domains = body.startsWith('<') ? fromXml(body, source) : fromLines(body);
  return [...new Set(domains.map((d) => d.toLowerCase()))];
}
