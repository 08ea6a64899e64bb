/**
 * ENVELOPE, byte for byte (RFC 3501 §7.4.2): values as the message has them (encoded words
 * kept for the client to decode, 8-bit text as literals), Sender and Reply-To from From when
 * absent, groups with their start and end markers, NIL for what is missing.
 */
import { describe, expect, it } from 'vitest';
import { envelopeOut } from '../../../src/imap/fetch/envelope.js';
import { indexMessage } from '../../../src/mime/indexer.js';
import { crlf, fixture } from './fixtures.js';
import { render, utf8 } from './render-out.js';

const envelope = (name: string) => render(envelopeOut(fixture(name).index.envelope));
const of = (header: string) => render(envelopeOut(indexMessage(crlf(`${header}\n\nbody\n`)).envelope));

describe('ENVELOPE', () => {
  it('lists date, subject, the six address lists, In-Reply-To and Message-ID, with a group in To', async () => {
    const house = '("Dr House" NIL "dr.house" "hopital.mssante.fr")';
    expect(await envelope('nested-rfc822')).toBe(
      `("Tue, 02 Dec 2025 09:15:00 +0100" "Fwd: deux messages" (${house}) (${house}) (${house}) ` +
        '((NIL NIL "Service" NIL) (NIL NIL "pharmacie" "hopital.mssante.fr") ("Dr. Wilson" NIL "dr.wilson" "hopital.mssante.fr") (NIL NIL NIL NIL) (NIL NIL "anon" "ch-lyon.mssante.fr"))' +
        ' NIL NIL "<orig-0@ch-lyon.mssante.fr>" "<nested-1@hopital.mssante.fr>")',
    );
  });

  it('keeps encoded words and quoted-pair names as written, and marks an empty group', async () => {
    const francois = '("=?ISO-8859-1?Q?Fran=E7ois_P=E9rez?=" NIL "francois" "hopital.mssante.fr")';
    expect(await envelope('encoded-words')).toBe(
      '("Tue, 02 Dec 2025 12:00:00 +0100" "=?ISO-8859-1?Q?Compte_rendu_op=E9ratoire?= =?utf-8?q?_=E2=80=94_suite?=" ' +
        `(${francois}) (${francois}) (${francois}) (("=?utf-8?B?w4lsb2TDqWU=?=" NIL "elodee" "hopital.mssante.fr")) ` +
        '(("Secr\\"etariat" NIL "secretariat" "hopital.mssante.fr") (NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL)) NIL NIL "<ew@hopital.mssante.fr>")',
    );
  });

  it('sends raw UTF-8 header text as literals of its bytes', async () => {
    const name = utf8('Dr José Müller');
    const jose = `(({${Buffer.byteLength('Dr José Müller')}}\r\n${name} NIL "jose" "hopital.mssante.fr"))`;
    expect(await envelope('headers-8bit')).toBe(
      `("Tue, 02 Dec 2025 11:00:00 +0100" {32}\r\n${utf8('Ordonnance renouvelée – été')} ${jose} ${jose} ${jose} ` +
        `(({14}\r\n${utf8('Pharmacie Léa')} NIL "pharmacie" "hopital.mssante.fr")) NIL NIL NIL "<8bit@hopital.mssante.fr>")`,
    );
  });

  it('uses NIL for absent fields and From for absent Sender and Reply-To, distinct otherwise', async () => {
    expect(await envelope('no-content-type')).toBe(
      '(NIL "sans type" ((NIL NIL "secretariat" "hopital.mssante.fr")) ((NIL NIL "secretariat" "hopital.mssante.fr")) ' +
        '((NIL NIL "secretariat" "hopital.mssante.fr")) ((NIL NIL "dr.house" "hopital.mssante.fr")) NIL NIL NIL NIL)',
    );
    expect(await of('Subject: x\nFrom: a@b.fr\nSender: s@b.fr\nReply-To: r@b.fr\nBcc: c@d.fr')).toBe(
      '(NIL "x" ((NIL NIL "a" "b.fr")) ((NIL NIL "s" "b.fr")) ((NIL NIL "r" "b.fr")) NIL NIL ((NIL NIL "c" "d.fr")) NIL NIL)',
    );
    expect(await of('X-Nothing: 1')).toBe('(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)');
  });

  it('never lets an address without a domain read as group syntax', async () => {
    // RFC 3501 keeps a NIL host (and mailbox) for group markers: these get placeholders instead.
    expect(await of('To: "X" <bar>, foo')).toBe(
      '(NIL NIL NIL NIL NIL (("X" NIL "bar" "MISSING_DOMAIN") ("foo" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) NIL NIL NIL NIL)',
    );
    expect(await of('Cc: Team: <lead>, x@y.fr;')).toBe(
      '(NIL NIL NIL NIL NIL NIL ((NIL NIL "Team" NIL) ("lead" NIL "MISSING_MAILBOX" "MISSING_DOMAIN") (NIL NIL "x" "y.fr") (NIL NIL NIL NIL)) NIL NIL NIL)',
    );
  });

  it('reads a nameless, hostless mailbox as a group start only when a group end follows', async () => {
    const bare = { name: null, adl: null, mailbox: 'bar', host: null };
    const end = { name: null, adl: null, mailbox: null, host: null };
    const member = { name: null, adl: null, mailbox: 'a', host: 'b.fr' };
    const base = { date: null, subject: null, from: [], sender: [], replyTo: [], cc: [], bcc: [], inReplyTo: null, messageId: null };
    expect(await render(envelopeOut({ ...base, to: [bare, member] }))).toBe(
      '(NIL NIL NIL NIL NIL ((NIL NIL "bar" "MISSING_DOMAIN") (NIL NIL "a" "b.fr")) NIL NIL NIL NIL)',
    );
    expect(await render(envelopeOut({ ...base, to: [bare, member, end, end] }))).toBe(
      '(NIL NIL NIL NIL NIL ((NIL NIL "bar" NIL) (NIL NIL "a" "b.fr") (NIL NIL NIL NIL)) NIL NIL NIL NIL)',
    );
  });

  it('keeps an empty subject as an empty string, not NIL', async () => {
    expect(await of('Subject:\nFrom: a@b.fr')).toBe(
      '(NIL "" ((NIL NIL "a" "b.fr")) ((NIL NIL "a" "b.fr")) ((NIL NIL "a" "b.fr")) NIL NIL NIL NIL NIL)',
    );
  });
});
