/**
 * FETCH BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, grammar in §9) from the MIME index: `BODY` is
 * the non-extensible form, `BODYSTRUCTURE` adds the extension data (MD5, disposition, language,
 * location; a multipart's parameters). Parameters are shown as the index keeps them: RFC 2231
 * continuations joined, an extended value kept encoded under `name*`, as Dovecot shows them.
 */
import { emptyPart } from '../../mime/indexer.js';
import type { MimeParams, MimePart } from '../../mime/types.js';
import { atom, list, NIL, nstring, num, str, type ImapOut } from '../protocol/values.js';
import { compile } from '../protocol/writer.js';
import { envelopeOut } from './envelope.js';

const US_ASCII: MimeParams = [['charset', 'us-ascii']];

/** `("name" "value" …)` or NIL; a text part always names its charset (RFC 2045 §5.2 default). */
function params(values: MimeParams, text = false): ImapOut {
  const withCharset = text && !values.some(([name]) => name === 'charset') ? [...values, ...US_ASCII] : values;
  if (withCharset.length === 0) return NIL;
  const out: ImapOut[] = [];
  for (const [name, value] of withCharset) out.push(str(name), str(value));
  return list(out);
}

function disposition(part: MimePart): ImapOut {
  return part.disposition ? list([str(part.disposition.type), params(part.disposition.params)]) : NIL;
}

function language(part: MimePart): ImapOut {
  return part.language?.length ? list(part.language.map((l) => str(l))) : NIL;
}

/** A message/rfc822 body that could not be read as a message (encoded): nothing in its envelope. */
const EMPTY_ENVELOPE = list([NIL, NIL, NIL, NIL, NIL, NIL, NIL, NIL, NIL, NIL]);

/**
 * `1*body`: a multipart's children follow each other with no space between them (RFC 3501 §9),
 * which a list (always spaced) cannot say. Each child is compiled here by the writer's own
 * rules (quoting, literals, UTF8=ACCEPT) and the bytes go on as written text.
 */
function backToBack(children: readonly ImapOut[], utf8: boolean): ImapOut {
  let text = '';
  for (const child of children) {
    for (const part of compile([child], utf8)) if (Buffer.isBuffer(part)) text += part.toString('latin1');
  }
  return atom(text);
}

function singlePart(part: MimePart, extended: boolean, utf8: boolean): ImapOut[] {
  const text = part.type === 'text';
  const octets = part.bodyEnd - part.bodyStart;
  const out: ImapOut[] = [
    str(part.type),
    str(part.subtype),
    params(part.params, text),
    nstring(part.id),
    nstring(part.description),
    str(part.encoding),
    num(octets),
  ];
  if (text) {
    out.push(num(part.bodyLines));
  } else if (part.type === 'message' && part.subtype === 'rfc822') {
    // body-type-msg: the envelope and structure of the message inside, then its lines.
    if (part.message) {
      out.push(envelopeOut(part.message.envelope), structure(part.message.root, extended, utf8));
    } else {
      const inner: MimePart = { ...emptyText(part), bodyEnd: part.bodyEnd, bodyLines: part.bodyLines };
      out.push(EMPTY_ENVELOPE, structure(inner, extended, utf8));
    }
    out.push(num(part.bodyLines));
  }
  if (extended) out.push(nstring(part.md5), disposition(part), language(part), nstring(part.location));
  return out;
}

function multipart(part: MimePart, extended: boolean, utf8: boolean): ImapOut[] {
  const inner = part.parts?.length ? part.parts : [emptyText(part)];
  const out: ImapOut[] = [backToBack(inner.map((child) => structure(child, extended, utf8)), utf8), str(part.subtype)];
  if (extended) out.push(params(part.params), disposition(part), language(part), nstring(part.location));
  return out;
}

/** A multipart must hold a part (RFC 3501): an empty text one stands in when none was found. */
function emptyText(at: MimePart): MimePart {
  return { ...emptyPart(at.bodyStart), params: US_ASCII };
}

/**
 * The BODYSTRUCTURE (`extended`) or BODY of a part and everything inside it; `utf8` when the
 * session enabled UTF8=ACCEPT (8-bit strings may then be quoted).
 */
export function structure(part: MimePart, extended: boolean, utf8 = false): ImapOut {
  return list(part.type === 'multipart' ? multipart(part, extended, utf8) : singlePart(part, extended, utf8));
}
