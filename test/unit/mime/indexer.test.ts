/**
 * The MIME index: every part's offsets must cut the stored bytes exactly where RFC 2046 puts
 * the part (the CRLF before a delimiter belongs to the delimiter), whatever the chunking.
 */
import { describe, expect, it } from 'vitest';
import { MimeIndexer, MimeStructureError, indexMessage } from '../../../src/mime/indexer.js';
import { decodeWords, paramValue } from '../../../src/mime/header.js';
import type { MimePart } from '../../../src/mime/types.js';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');
const body = (raw: Buffer, p: MimePart): string => raw.subarray(p.bodyStart, p.bodyEnd).toString('utf8');
const header = (raw: Buffer, p: MimePart): string => raw.subarray(p.headerStart, p.bodyStart).toString('utf8');

const NESTED = crlf(`From: =?utf-8?q?Dr_Jos=C3=A9?= <jose@h.fr>
To: a@b.fr, "Group": c@d.fr;
Subject: =?utf-8?b?w4l0w6k=?=
Message-ID: <m1@h.fr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble
--outer
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Bonjour
deux lignes
--outer
Content-Type: message/rfc822

From: b@c.fr
Subject: inner

inner body
--outer
Content-Type: application/pdf;
 name*0*=utf-8''compte%20rendu;
 name*1=".pdf"
Content-Disposition: attachment; filename="cr.pdf"
Content-Transfer-Encoding: base64

JVBERi0=
--outer--
epilogue
`);

describe('MIME index', () => {
  it('cuts parts exactly, nested messages included, whatever the chunk size', () => {
    for (const size of [1, 2, 7, 64, NESTED.length]) {
      const indexer = new MimeIndexer();
      for (let i = 0; i < NESTED.length; i += size) indexer.write(NESTED.subarray(i, i + size));
      const index = indexer.end();
      const [text, forwarded, pdf] = index.root.parts!;
      expect(index.size).toBe(NESTED.length);
      expect(body(NESTED, text!)).toBe('Bonjour\r\ndeux lignes');
      expect(text!.bodyLines).toBe(2);
      expect(header(NESTED, text!)).toBe('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n');
      expect(forwarded!.type).toBe('message');
      expect(body(NESTED, forwarded!)).toBe('From: b@c.fr\r\nSubject: inner\r\n\r\ninner body');
      expect(forwarded!.message!.envelope.subject).toBe('inner');
      expect(body(NESTED, forwarded!.message!.root)).toBe('inner body');
      // Continuations joined, the extended value kept encoded (as Dovecot shows it in BODYSTRUCTURE).
      expect(pdf!.params).toEqual([['name*', "utf-8''compte%20rendu.pdf"]]);
      expect(paramValue(pdf!.params, 'name')).toBe('compte rendu.pdf');
      expect(decodeWords(index.envelope.subject!)).toBe('Été');
      expect(pdf!.disposition).toEqual({ type: 'attachment', params: [['filename', 'cr.pdf']] });
      expect(body(NESTED, pdf!)).toBe('JVBERi0=');
      expect(index.envelope.subject).toBe('=?utf-8?b?w4l0w6k=?=');
      expect(index.envelope.messageId).toBe('<m1@h.fr>');
    }
  });

  it('gives RFC 2045 defaults to a message without MIME headers, and forgives a missing close delimiter', () => {
    const plain = indexMessage(crlf('Subject: x\n\nhello\n'));
    expect([plain.root.type, plain.root.subtype, plain.root.params]).toEqual(['text', 'plain', [['charset', 'us-ascii']]]);
    const open = crlf('Content-Type: multipart/alternative; boundary=b\n\n--b\n\none\n--b\nContent-Type: text/html\n\n<p>two</p>\n');
    const index = indexMessage(open);
    expect(index.root.parts!.map((p) => body(open, p))).toEqual(['one', '<p>two</p>\r\n']);
  });

  it('stops at the structure limits with a reason the caller refuses permanently', () => {
    let deep = '';
    for (let i = 0; i < 40; i++) deep += `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n`;
    expect(() => indexMessage(crlf(deep))).toThrow(MimeStructureError);
    const many = `Content-Type: multipart/mixed; boundary=b\n\n${'--b\n\nx\n'.repeat(20)}--b--\n`;
    expect(() => indexMessage(crlf(many), { maxParts: 10 })).toThrow(/more than 10 MIME parts/);
    const big = Buffer.concat([Buffer.from('X-Big: '), Buffer.alloc(300 * 1024, 0x61), Buffer.from('\r\n\r\nbody')]);
    const indexer = new MimeIndexer();
    indexer.write(big);
    expect(indexer.error?.check).toBe('MIME_HEADER_SIZE');
  });
});
