/**
 * Finds the long runs of character data in an XML text — in practice the base64 PDF of an N1
 * CDA, megabytes long — so that the parser can be spared them: saxes reads character data one
 * character at a time, which makes a 9 MB document cost most of its checking time.
 *
 * A run is lifted only when the lexical context is certain to be character data (after the end
 * of a start or end tag, outside comments, CDATA sections, processing instructions and quoted
 * attribute values) and when it holds nothing but base64 characters and whitespace: such text
 * can contain no markup, no entity reference and no character XML forbids, so skipping the
 * parser over it changes nothing but the time. A document with a DOCTYPE is left to the parser
 * whole, which refuses it.
 */

/** Shorter runs are not worth lifting. */
export const LONG_TEXT = 64 * 1024;

const PLAIN = /^[A-Za-z0-9+/=\s]*$/;

export interface TextRun {
  /** index of the first character of the run */
  start: number;
  /** index just past its last character (a '<' or the end of the text) */
  end: number;
}

/** Where the markup that starts at `lt` (a '<') ends, just past its closing '>'; -1 if never. */
function endOfMarkup(text: string, lt: number): number | 'doctype' {
  if (text.startsWith('<!--', lt)) {
    const close = text.indexOf('-->', lt + 4);
    return close === -1 ? -1 : close + 3;
  }
  if (text.startsWith('<![CDATA[', lt)) {
    const close = text.indexOf(']]>', lt + 9);
    return close === -1 ? -1 : close + 3;
  }
  if (text.startsWith('<?', lt)) {
    const close = text.indexOf('?>', lt + 2);
    return close === -1 ? -1 : close + 2;
  }
  if (text.startsWith('<!', lt)) return 'doctype';
  // A start or end tag: '>' may appear inside a quoted attribute value.
  for (let i = lt + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3e /* > */) return i + 1;
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      const close = text.indexOf(c === 0x22 ? '"' : "'", i + 1);
      if (close === -1) return -1;
      i = close;
    }
  }
  return -1;
}

/** The long plain runs of character data, in order; none when the text has a DOCTYPE. */
export function longTextRuns(text: string, minimum = LONG_TEXT): TextRun[] {
  const runs: TextRun[] = [];
  let lt = text.indexOf('<');
  while (lt !== -1) {
    const after = endOfMarkup(text, lt);
    if (after === 'doctype') return [];
    if (after === -1) break; // unterminated markup: the parser will say so
    const next = text.indexOf('<', after);
    const end = next === -1 ? text.length : next;
    if (end - after >= minimum && PLAIN.test(text.slice(after, end))) runs.push({ start: after, end });
    lt = next;
  }
  return runs;
}
