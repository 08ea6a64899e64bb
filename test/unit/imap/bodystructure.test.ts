/**
 * BODY and BODYSTRUCTURE, byte for byte, on the tricky messages of fixtures/imap. The expected
 * strings follow RFC 3501 §9 (body-type-1part / body-type-mpart, extension data in the order
 * md5, disposition, language, location; a multipart's children back to back) with the choices
 * Dovecot makes: a text part without a charset says us-ascii, RFC 2231 values stay encoded
 * under `name*`. Sizes and line counts were counted on the CRLF bytes of each part.
 */
import { describe, expect, it } from 'vitest';
import { structure } from '../../../src/imap/fetch/bodystructure.js';
import { indexMessage } from '../../../src/mime/indexer.js';
import { crlf, fixture } from './fixtures.js';
import { render, utf8 } from './render-out.js';

const bodystructure = (name: string) => render(structure(fixture(name).index.root, true));
const body = (name: string) => render(structure(fixture(name).index.root, false));

describe('BODYSTRUCTURE', () => {
  it('nests message/rfc822 parts: envelope, the inner structure, then the line count', async () => {
    const inner1 =
      '("Mon, 01 Dec 2025 18:00:00 +0100" "Resultats" (("Labo" NIL "labo" "ch-lyon.mssante.fr")) ((NIL NIL "secretariat" "ch-lyon.mssante.fr")) ' +
      '((NIL NIL "resultats" "ch-lyon.mssante.fr")) ((NIL NIL "dr.house" "hopital.mssante.fr")) ((NIL NIL "archives" "ch-lyon.mssante.fr")) NIL NIL "<orig-1@ch-lyon.mssante.fr>")';
    const inner2 =
      '(NIL "simple" (("Patient" NIL "patient" "ch-lyon.mssante.fr")) (("Patient" NIL "patient" "ch-lyon.mssante.fr")) (("Patient" NIL "patient" "ch-lyon.mssante.fr")) NIL NIL NIL NIL NIL)';
    expect(await bodystructure('nested-rfc822')).toBe(
      '(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 24 1 NIL NIL NIL NIL)' +
        `("message" "rfc822" NIL NIL "premier" "7bit" 517 ${inner1} ` +
        '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 1 NIL NIL NIL NIL)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 25 1 NIL NIL NIL NIL) "alternative" ("boundary" "alt") NIL NIL NIL) ' +
        '20 NIL NIL NIL NIL)' +
        `("message" "rfc822" NIL NIL NIL "7bit" 87 ${inner2} ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 24 2 NIL NIL NIL NIL) 5 NIL NIL NIL NIL)` +
        ' "mixed" ("boundary" "mix") NIL NIL NIL)',
    );
    expect(await body('nested-rfc822')).toBe(
      '(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 24 1)' +
        `("message" "rfc822" NIL NIL "premier" "7bit" 517 ${inner1} (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 1)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 25 1) "alternative") 20)` +
        `("message" "rfc822" NIL NIL NIL "7bit" 87 ${inner2} ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 24 2) 5) "mixed")`,
    );
  });

  it('writes multipart/alternative with a multipart/related inside, Content-ID and inline disposition', async () => {
    expect(await bodystructure('alternative-related')).toBe(
      '(("text" "plain" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 21 1 NIL NIL NIL NIL)' +
        '(("text" "html" ("charset" "utf-8") NIL NIL "7bit" 48 1 NIL NIL NIL NIL)' +
        '("image" "png" ("name" "logo.png") "<logo@h>" NIL "base64" 12 NIL ("inline" ("filename" "logo.png")) NIL NIL)' +
        ' "related" ("boundary" "=_rel_" "type" "text/html") NIL NIL NIL)' +
        ' "alternative" ("boundary" "=_alt_") NIL NIL NIL)',
    );
    expect(await body('alternative-related')).toBe(
      '(("text" "plain" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 21 1)(("text" "html" ("charset" "utf-8") NIL NIL "7bit" 48 1)' +
        '("image" "png" ("name" "logo.png") "<logo@h>" NIL "base64" 12) "related") "alternative")',
    );
  });

  it('keeps RFC 2231 values encoded and joined, with language and location', async () => {
    expect(await bodystructure('rfc2231')).toBe(
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 21 1 NIL NIL NIL NIL)' +
        `("application" "pdf" ("name*" "utf-8''compte%20rendu%20%C3%A9t%C3%A9.pdf") NIL NIL "base64" 8 NIL` +
        ` ("attachment" ("filename*" "iso-8859-1'fr'r%E9sultat.pdf" "size" "5")) ("fr" "en-GB") "http://labo.example/cr.pdf")` +
        ' "mixed" ("boundary" "b2231") NIL NIL NIL)',
    );
  });

  it('gives a base64 attachment its id, description, MD5 and disposition; no line count for non-text', async () => {
    expect(await bodystructure('base64-attachment')).toBe(
      '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 28 1 NIL NIL NIL NIL)' +
        '("application" "pdf" ("name" "ordonnance.pdf") "<pdf1@hopital.mssante.fr>" "Ordonnance du 2 decembre" "base64" 130' +
        ' "VWahgmDqDDaXRjWowfAFGA==" ("attachment" ("filename" "ordonnance.pdf")) NIL NIL)' +
        ' "mixed" ("boundary" "----=_Part_1") NIL NIL NIL)',
    );
    expect(await body('base64-attachment')).toBe(
      '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 28 1)' +
        '("application" "pdf" ("name" "ordonnance.pdf") "<pdf1@hopital.mssante.fr>" "Ordonnance du 2 decembre" "base64" 130) "mixed")',
    );
  });

  it('describes empty parts, with or without a header, as zero octets and zero lines', async () => {
    expect(await bodystructure('empty-parts')).toBe(
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)' +
        '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)' +
        '("application" "octet-stream" NIL NIL NIL "7bit" 0 NIL ("attachment" ("filename" "vide.bin")) NIL NIL)' +
        ' "mixed" ("boundary" "e") NIL NIL NIL)',
    );
  });

  it('gives a message without Content-Type the RFC 2045 defaults', async () => {
    expect(await bodystructure('no-content-type')).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 49 2 NIL NIL NIL NIL)');
    expect(await body('no-content-type')).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 49 2)');
  });

  it('counts an 8-bit body in bytes, and keeps every parameter in order', async () => {
    expect(await bodystructure('headers-8bit')).toBe('("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 47 2 NIL NIL NIL NIL)');
    expect(await bodystructure('encoded-words')).toBe('("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "7bit" 8 1 NIL NIL NIL NIL)');
  });

  it('counts a message whose bare LFs became CRLF at ingest on the stored bytes', async () => {
    const { raw } = fixture('bare-lf');
    expect(raw.length).toBe(222);
    expect(await bodystructure('bare-lf')).toBe('(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 2 NIL NIL NIL NIL) "mixed" ("boundary" "lf") NIL NIL NIL)');
  });

  it('answers an encoded message/rfc822 (not readable as a message) with an empty envelope and a text body', async () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYUBiCgp4\n--x--\n');
    expect(await render(structure(indexMessage(raw).root, false))).toBe(
      '(("message" "rfc822" NIL NIL NIL "base64" 16 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 16 1) 1) "mixed")',
    );
  });

  it('quotes what needs quoting and sends 8-bit parameter values as literals', async () => {
    const raw = crlf('Content-Type: application/octet-stream; name="a \\"b\\" c.bin"\nContent-Disposition: attachment; filename="é.bin"\n\nx');
    expect(await render(structure(indexMessage(raw).root, true))).toBe(
      `("application" "octet-stream" ("name" "a \\"b\\" c.bin") NIL NIL "7bit" 1 NIL ("attachment" ("filename" {6}\r\n${utf8('é.bin')})) NIL NIL)`,
    );
  });

  it('quotes 8-bit values under UTF8=ACCEPT, inside the parts of a multipart too', async () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; name="été.txt"\n\nx\n--b--\n');
    expect(await render(structure(indexMessage(raw).root, false, true), true)).toBe(`(("text" "plain" ("name" "${utf8('été.txt')}" "charset" "us-ascii") NIL NIL "7bit" 1 1) "mixed")`);
    expect(await render(structure(indexMessage(raw).root, false, false), false)).toBe(
      `(("text" "plain" ("name" {9}\r\n${utf8('été.txt')} "charset" "us-ascii") NIL NIL "7bit" 1 1) "mixed")`,
    );
  });
});
