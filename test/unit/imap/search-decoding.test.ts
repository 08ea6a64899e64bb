/**
 * The pieces a BODY/TEXT search streams text through, fed at every possible cut: a part read
 * from storage arrives in chunks that may split a base64 quantum, a `=XX`, a UTF-8 sequence, an
 * HTML reference or the string looked for. Also the day a Date: header states.
 */
import { describe, expect, it } from 'vitest';
import { parseSearchDate, sentDay } from '../../../src/imap/search/dates.js';
import { charsetDecoder, transferDecoder } from '../../../src/imap/search/decoders.js';
import { HtmlText } from '../../../src/imap/search/html-text.js';
import { fold, StreamMatcher } from '../../../src/imap/search/text-match.js';

/** every way of cutting `bytes` in two, and also in single bytes */
function cuts(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[...bytes].map((b) => Buffer.from([b]))];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  return out;
}

function decodeBytes(encoding: string, pieces: Buffer[]): Buffer {
  const d = transferDecoder(encoding);
  return Buffer.concat([...pieces.map((p) => d.write(p)), d.end()]);
}

function decodeText(charset: string | undefined, pieces: Buffer[]): string {
  const d = charsetDecoder(charset);
  return pieces.map((p) => d.write(p)).join('') + d.end();
}

const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000;

describe('transfer decoders', () => {
  it('decodes base64 cut anywhere, across line breaks and stray characters', () => {
    const text = Buffer.from('Compte rendu de l’échographie du 3 mars.', 'utf8');
    const encoded = Buffer.from(text.toString('base64').replace(/(.{12})/g, '$1\r\n') + '\r\n', 'latin1');
    for (const pieces of cuts(encoded)) expect(decodeBytes('base64', pieces)).toEqual(text);
  });

  it('decodes quoted-printable cut anywhere: =XX, soft breaks with CRLF or LF, a stray =', () => {
    const encoded = Buffer.from('H=C3=A9mo=\r\nglobine =3D 6,1 =\nvoir =ZZ fin', 'latin1');
    const expected = Buffer.from('Hémoglobine = 6,1 voir =ZZ fin', 'utf8');
    for (const pieces of cuts(encoded)) expect(decodeBytes('quoted-printable', pieces)).toEqual(expected);
  });

  it('passes 7bit, 8bit and binary through', () => {
    const bytes = Buffer.from([0x41, 0xe9, 0x0d, 0x0a]);
    for (const e of ['7bit', '8bit', 'binary', 'x-unknown']) expect(decodeBytes(e, [bytes])).toEqual(bytes);
  });
});

describe('charset decoders', () => {
  it('decodes UTF-8 with sequences cut in two', () => {
    const bytes = Buffer.from('Résultat : 5 € — ok', 'utf8');
    for (const pieces of cuts(bytes)) expect(decodeText('utf-8', pieces)).toBe('Résultat : 5 € — ok');
  });

  it('reads ISO-8859-1 (as windows-1252) and other declared charsets', () => {
    expect(decodeText('ISO-8859-1', [Buffer.from('renouvel\xe9e \x80', 'latin1')])).toBe('renouvelée €');
    expect(decodeText('koi8-r', [Buffer.from([0xf0, 0xd2, 0xc9])])).toBe('При');
  });

  it('falls back to windows-1252 when bytes said to be ASCII or unnamed are not UTF-8', () => {
    expect(decodeText('us-ascii', [Buffer.from('d\xe9livr\xe9', 'latin1')])).toBe('délivré');
    expect(decodeText(undefined, [Buffer.from('ok '), Buffer.from('\xe9t\xe9', 'latin1')])).toBe('ok été');
    expect(decodeText('x-made-up', [Buffer.from('é', 'utf8')])).toBe('é');
  });
});

describe('HTML text', () => {
  const run = (pieces: string[]) => {
    const h = new HtmlText();
    return pieces.map((p) => h.write(p)).join('') + h.end();
  };
  const every = (html: string) => {
    const results = new Set<string>([run([...html])]);
    for (let i = 0; i <= html.length; i++) results.add(run([html.slice(0, i), html.slice(i)]));
    return [...results];
  };

  it('keeps the text, decodes references and drops tags, comments, scripts and styles, cut anywhere', () => {
    const html = '<p class="a>b">Bonjour&nbsp;<b>Mar</b>ie</p><!-- a > b --><style>p{}</style>pr&eacute;vue &#233;t&#xE9; &amp; <script>if (a < b) x()</script>fin &bogus; &amp';
    expect(every(html)).toEqual([' Bonjour Marie prévue été & fin &bogus; &amp']);
  });

  it('gives a space for block tags so that paragraphs do not run together', () => {
    expect(run(['<div>un</div><div>deux</div>trois<br/>quatre'])).toBe(' un  deux trois quatre');
  });
});

describe('streamed matching', () => {
  const match = (needle: string, pieces: string[]) => {
    const m = new StreamMatcher(fold(needle));
    for (const p of pieces) if (m.write(p)) return true;
    return m.matched;
  };

  it('finds a string cut anywhere, ignoring case and runs of white space', () => {
    const text = 'Le taux d’HÉMOGLOBINE\r\n   glyquée est normal';
    for (let i = 0; i <= text.length; i++) {
      expect(match('hémoglobine glyquée', [text.slice(0, i), text.slice(i)])).toBe(true);
    }
    expect(match('hémoglobine glyquée', [...text])).toBe(true);
    expect(match('glyquée absente', [text])).toBe(false);
    expect(match('', [])).toBe(true);
  });
});

describe('days', () => {
  it('reads search dates and refuses impossible ones', () => {
    expect(parseSearchDate('1-Feb-1994')).toBe(day(1994, 2, 1));
    expect(parseSearchDate('29-FEB-2024')).toBe(day(2024, 2, 29));
    expect(() => parseSearchDate('29-Feb-2023')).toThrow();
    expect(() => parseSearchDate('1-Fev-2024')).toThrow();
  });

  it('reads the day a Date: header states, as written', () => {
    expect(sentDay('Mon, 3 Mar 2025 23:30:00 -0500')).toBe(day(2025, 3, 3));
    expect(sentDay('3 Mar 2025 01:00 +1400')).toBe(day(2025, 3, 3));
    expect(sentDay('Fri, 28 Feb 25 08:00 +0100')).toBe(day(2025, 2, 28));
    expect(sentDay('Tue, 1 Jan 99 00:00 GMT')).toBe(day(1999, 1, 1));
    expect(sentDay('Wed, 07 March 2024 10:00:00 +0100 (CET)')).toBe(day(2024, 3, 7));
    expect(sentDay('31 Feb 2025 10:00 +0000')).toBeUndefined();
    expect(sentDay('hier')).toBeUndefined();
    expect(sentDay(null)).toBeUndefined();
  });
});
