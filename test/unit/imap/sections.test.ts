/**
 * BODY[section] on the stored bytes: the section grammar of RFC 3501 §6.4.5, the part numbering
 * of its example (a message/rfc822 part is entered when a number follows it; a non-multipart
 * message has only part 1), HEADER.FIELDS(.NOT) with folded lines and the blank line, partials,
 * and large ranges streamed from a real blob store on disk rather than read whole.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterHeader, locate, parseSection, sectionData, sectionLabel, STREAM_FROM, type Section } from '../../../src/imap/fetch/sections.js';
import type { ImapValue, Partial } from '../../../src/imap/protocol/values.js';
import { indexMessage } from '../../../src/mime/indexer.js';
import { fsBlobStore } from '../../../src/store/fs/blobs.js';
import type { BlobStore } from '../../../src/store/types.js';
import { crlf, fixture } from './fixtures.js';
import { render } from './render-out.js';

const a = (value: string): ImapValue => ({ type: 'atom', value });
const q = (value: string): ImapValue => ({ type: 'string', value: Buffer.from(value), literal: false });
const l = (...items: ImapValue[]): ImapValue => ({ type: 'list', items });

let dir: string;
let blobs: BlobStore;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sections-'));
  blobs = fsBlobStore(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The section of a fixture (or of given bytes), as the answer would carry it, as text. */
async function section(source: string | Buffer, spec: Section | ImapValue[], partial?: Partial): Promise<string | null> {
  const raw = typeof source === 'string' ? fixture(source).raw : source;
  const index = indexMessage(raw);
  const { id } = await blobs.put(raw);
  const located = locate(index, raw.length, Array.isArray(spec) ? parseSection(spec) : spec);
  if (!located) return null;
  const out = await sectionData(blobs, id, located, partial);
  const text = await render(out);
  return text.replace(/^\{\d+\}\r\n/, '');
}
const text = (s: string): string => crlf(s).toString('latin1');

describe('section specs', () => {
  it('reads part numbers and the section text, case-insensitively, and names them back', () => {
    expect(parseSection([])).toEqual({ path: [] });
    expect(parseSection([a('1.2.3')])).toEqual({ path: [1, 2, 3] });
    expect(parseSection([a('header')])).toEqual({ path: [], text: 'HEADER' });
    expect(parseSection([a('4.2.Text')])).toEqual({ path: [4, 2], text: 'TEXT' });
    expect(parseSection([a('4.1.MIME')])).toEqual({ path: [4, 1], text: 'MIME' });
    const fields = parseSection([a('2.HEADER.FIELDS.NOT'), l(a('From'), q('X-Mailer'))]);
    expect(fields).toEqual({ path: [2], text: 'HEADER.FIELDS.NOT', fields: ['From', 'X-Mailer'] });
    expect(sectionLabel(fields)).toBe('2.HEADER.FIELDS.NOT (FROM X-MAILER)');
    expect(sectionLabel({ path: [4, 1], text: 'MIME' })).toBe('4.1.MIME');
    expect(sectionLabel({ path: [] })).toBe('');
  });

  it('refuses what the grammar does not allow', () => {
    for (const bad of [
      [a('0')],
      [a('01')],
      [a('1.0.TEXT')],
      [a('MIME')],
      [a('BODY')],
      [a('1.')],
      [a('HEADER.FIELDS')],
      [a('HEADER.FIELDS'), l()],
      [a('HEADER.FIELDS'), l(a('Bad:Name'))],
      [a('HEADER'), l(a('From'))],
      [a('TEXT'), a('TEXT')],
      [a('99999999999')],
      [q('TEXT')],
    ]) {
      expect(() => parseSection(bad), JSON.stringify(bad)).toThrow();
    }
  });
});

describe('BODY[section] of a nested message (RFC 3501 §6.4.5 numbering)', () => {
  const INNER_HEADER = `Date: Mon, 01 Dec 2025 18:00:00 +0100
From: Labo <labo@ch-lyon.mssante.fr>
Sender: secretariat@ch-lyon.mssante.fr
Reply-To: resultats@ch-lyon.mssante.fr
To: dr.house@hopital.mssante.fr
Cc: archives@ch-lyon.mssante.fr
Subject: Resultats
Message-ID: <orig-1@ch-lyon.mssante.fr>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=alt

`;
  const INNER_TEXT = `--alt
Content-Type: text/plain; charset=us-ascii

Resultats normaux.
--alt
Content-Type: text/html; charset=us-ascii

<p>Resultats normaux.</p>
--alt--
`;

  it('gives the whole message, its header and its text', async () => {
    const { raw } = fixture('nested-rfc822');
    expect(await section('nested-rfc822', [])).toBe(raw.toString('latin1'));
    const header = await section('nested-rfc822', [a('HEADER')]);
    expect(header).toMatch(/^Date: Tue, 02 Dec 2025 09:15:00 \+0100\r\n/);
    expect(header).toMatch(/Content-Type: multipart\/mixed; boundary="mix"\r\n\r\n$/);
    const body = await section('nested-rfc822', [a('TEXT')]);
    expect(header! + body!).toBe(raw.toString('latin1'));
    expect(body).toMatch(/^This is a multi-part message in MIME format\.\r\n--mix\r\n/);
  });

  it('numbers the parts, enters message/rfc822 parts, and gives their MIME, HEADER and TEXT', async () => {
    expect(await section('nested-rfc822', [a('1')])).toBe('Voici les deux messages.');
    expect(await section('nested-rfc822', [a('1.MIME')])).toBe(text('Content-Type: text/plain; charset=utf-8\n\n'));
    expect(await section('nested-rfc822', [a('2.MIME')])).toBe(text('Content-Type: message/rfc822\nContent-Description: premier\n\n'));
    expect(await section('nested-rfc822', [a('2')])).toBe(text(INNER_HEADER + INNER_TEXT));
    expect(await section('nested-rfc822', [a('2.HEADER')])).toBe(text(INNER_HEADER));
    expect(await section('nested-rfc822', [a('2.TEXT')])).toBe(text(INNER_TEXT));
    expect(await section('nested-rfc822', [a('2.1')])).toBe('Resultats normaux.');
    expect(await section('nested-rfc822', [a('2.2')])).toBe('<p>Resultats normaux.</p>');
    expect(await section('nested-rfc822', [a('2.2.MIME')])).toBe(text('Content-Type: text/html; charset=us-ascii\n\n'));
    // A message/rfc822 holding a non-multipart message: its part 1 is that message's body.
    expect(await section('nested-rfc822', [a('3.1')])).toBe(text('Bonjour docteur,\nmerci.'));
    expect(await section('nested-rfc822', [a('3.HEADER')])).toBe(text('From: Patient <patient@ch-lyon.mssante.fr>\nSubject: simple\n\n'));
  });

  it('has no part beyond the structure, and no HEADER or TEXT of a part that is not a message', async () => {
    expect(await section('nested-rfc822', [a('4')])).toBeNull();
    expect(await section('nested-rfc822', [a('2.3')])).toBeNull();
    expect(await section('nested-rfc822', [a('1.2')])).toBeNull();
    expect(await section('nested-rfc822', [a('1.HEADER')])).toBeNull();
    expect(await section('nested-rfc822', [a('1.TEXT')])).toBeNull();
  });

  it('gives a non-multipart message only a part 1: its body', async () => {
    expect(await section('no-content-type', [a('1')])).toBe(text('Un message sans en-tetes MIME.\nDeuxieme ligne.\n'));
    expect(await section('no-content-type', [a('2')])).toBeNull();
    expect(await section('alternative-related', [a('2.2')])).toBe('iVBORw0KGgo=');
    expect(await section('alternative-related', [a('2.1')])).toBe('<html><body><img src="cid:logo@h"></body></html>');
  });

  it('gives empty parts as empty strings', async () => {
    expect(await section('empty-parts', [a('1')])).toBe('');
    expect(await section('empty-parts', [a('2')])).toBe('');
    expect(await section('empty-parts', [a('2.MIME')])).toBe('\r\n');
    expect(await section('empty-parts', [a('3')])).toBe('');
  });

  it('serves the bytes as stored after the ingest turned bare LFs into CRLF', async () => {
    expect(await section('bare-lf', [a('1')])).toBe('ligne un\r\nligne deux');
    expect(await section('bare-lf', [a('HEADER.FIELDS'), l(a('to'))])).toBe('To: dr.house@hopital.mssante.fr\r\n\r\n');
  });
});

describe('HEADER.FIELDS and HEADER.FIELDS.NOT', () => {
  it('keeps the named fields with their folded lines, in message order, then the blank line', async () => {
    expect(await section('alternative-related', [a('HEADER.FIELDS'), l(a('content-type'), a('SUBJECT'), a('X-Absent'))])).toBe(
      text('Subject: Courrier avec image\nContent-Type: multipart/alternative;\n boundary="=_alt_"\n\n'),
    );
    expect(await section('encoded-words', [a('HEADER.FIELDS'), l(q('Subject'))])).toBe(
      text('Subject: =?ISO-8859-1?Q?Compte_rendu_op=E9ratoire?=\n =?utf-8?q?_=E2=80=94_suite?=\n\n'),
    );
    expect(await section('encoded-words', [a('HEADER.FIELDS'), l(a('X-Absent'))])).toBe('\r\n');
  });

  it('keeps every other field with .NOT, and works on a message inside a message', async () => {
    expect(await section('no-content-type', [a('HEADER.FIELDS.NOT'), l(a('From'), a('to'))])).toBe(text('Subject: sans type\n\n'));
    expect(await section('nested-rfc822', [a('2.HEADER.FIELDS'), l(a('Subject'), a('Reply-To'))])).toBe(
      text('Reply-To: resultats@ch-lyon.mssante.fr\nSubject: Resultats\n\n'),
    );
    expect(await section('nested-rfc822', [a('1.HEADER.FIELDS'), l(a('Subject'))])).toBeNull();
  });

  it('filters raw 8-bit fields without altering their bytes', async () => {
    const got = await section('headers-8bit', [a('HEADER.FIELDS'), l(a('Subject'))]);
    expect(Buffer.from(got!, 'latin1').toString('utf8')).toBe('Subject: Ordonnance renouvelée – été\r\n\r\n');
  });

  it('ends a header that ends the message with a line end and the blank line', () => {
    const names = new Set(['subject']);
    expect(filterHeader(Buffer.from('Subject: x'), names, false).toString()).toBe('Subject: x\r\n\r\n');
    expect(filterHeader(Buffer.from('From: a\r\nSubject: x\r\n'), names, false).toString()).toBe('Subject: x\r\n\r\n');
    expect(filterHeader(Buffer.from('\r\n'), names, true).toString()).toBe('\r\n');
    expect(filterHeader(Buffer.from('Subject : obsolete\r\nsubject: twice\r\n\r\n'), names, false).toString()).toBe('Subject : obsolete\r\nsubject: twice\r\n\r\n');
  });
});

describe('partial fetches <start.length>', () => {
  it('cuts the section, stops at its end, and gives nothing past it', async () => {
    expect(await section('nested-rfc822', [a('1')], { start: 6, length: 3 })).toBe('les');
    expect(await section('nested-rfc822', [a('1')], { start: 20, length: 100 })).toBe('ges.');
    expect(await section('nested-rfc822', [a('1')], { start: 24, length: 10 })).toBe('');
    expect(await section('nested-rfc822', [a('1')], { start: 1000, length: 10 })).toBe('');
    expect(await section('alternative-related', [a('HEADER.FIELDS'), l(a('Subject'))], { start: 9, length: 8 })).toBe('Courrier');
  });
});

describe('large sections', () => {
  it('streams ranges from the blob store instead of reading them, byte-exact', async () => {
    const big = 'A'.repeat(76) + '\n';
    const raw = crlf(`Subject: big\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nsmall\n--z\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n${big.repeat(6000)}--z--\n`);
    const index = indexMessage(raw);
    const { id } = await blobs.put(raw);
    const whole = await sectionData(blobs, id, locate(index, raw.length, { path: [] })!);
    expect(whole.t).toBe('stream');
    expect(whole.t === 'stream' && whole.length).toBe(raw.length);
    expect(Buffer.from((await render(whole)).replace(/^\{\d+\}\r\n/, ''), 'latin1').equals(raw)).toBe(true);

    const part = await sectionData(blobs, id, locate(index, raw.length, { path: [2] })!, { start: 78, length: STREAM_FROM + 10 });
    expect(part.t).toBe('stream');
    const expected = raw.subarray(index.root.parts![1]!.bodyStart + 78, index.root.parts![1]!.bodyStart + 78 + STREAM_FROM + 10);
    expect(Buffer.from((await render(part)).replace(/^\{\d+\}\r\n/, ''), 'latin1').equals(expected)).toBe(true);

    const small = await sectionData(blobs, id, locate(index, raw.length, { path: [1] })!);
    expect(small).toEqual({ t: 'literal', v: Buffer.from('small') });
  });
});
