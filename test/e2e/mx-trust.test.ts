/**
 * The closed trust space on the MX, as a hostile peer would try it: no certificate, a
 * certificate of another CA, a certificate speaking for someone else's domain, an author outside
 * the trust space, two From: fields. The real server, real TLS, nodemailer and raw sockets.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, writeCa } from '../../src/tls/certificates.js';
import { PEER_HOST, peerCertificate } from '../helpers/certs.js';
import { mssgw } from '../helpers/cli.js';
import { RawSmtp, plainAuth } from '../helpers/raw-smtp.js';
import { startServer } from '../helpers/server.js';
import { COLLEAGUE, DOCTOR, INS, PASSWORD, REMOTE_DOCTOR, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const NANTES = 'chu-nantes.mssante.fr';
const JEANNE = citizen(INS.jeanne);

let world: World;
beforeAll(async () => {
  world = await startWorld();
  expect((await mssgw(world.box, ['trust', 'add', NANTES])).code).toBe(0);
});
afterAll(async () => {
  await world?.stop();
});

const mail = (from: string, to: string, extra: Record<string, unknown> = {}) => ({
  from,
  to,
  subject: 'Avis',
  text: 'Bonjour.',
  ...extra,
});

function delivered(subject: string): number {
  const db = world.db();
  const n = db.prepare('SELECT count(*) FROM messages WHERE subject = ?').pluck().get(subject) as number;
  db.close();
  return n;
}

/** A raw MX session under TLS with the peer's certificate, up to the DATA answer. */
async function rawMx(from: string, to: string, message: string): Promise<string> {
  const smtp = await RawSmtp.connect(world.server.ports.smtp);
  try {
    await smtp.command('EHLO mx.ch-lyon.mssante.fr');
    await smtp.startTls(world.ca, peerCertificate());
    await smtp.command('EHLO mx.ch-lyon.mssante.fr');
    expect(await smtp.command(`MAIL FROM:<${from}>`)).toMatch(/^250/);
    expect(await smtp.command(`RCPT TO:<${to}>`)).toMatch(/^250/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    return await smtp.command(`${message.replace(/\n/g, '\r\n')}\r\n.`);
  } finally {
    smtp.close();
  }
}

describe('the MX demands a certificate by default', () => {
  it('refuses a peer without a client certificate', async () => {
    const result = await trySend(world.mx({}), mail(REMOTE_DOCTOR, JEANNE, { subject: 'Sans certificat' }));
    expect(result.ok).toBe(false);
    expect(delivered('Sans certificat')).toBe(0);
  });

  it('refuses a certificate signed by another CA', async () => {
    const rogue = path.join(world.box.dir, 'rogue');
    writeCa(rogue, 'Rogue CA');
    const files = issueCertificate(rogue, PEER_HOST, false, rogue);
    const result = await trySend(world.mx({ cert: readFileSync(files.cert), key: readFileSync(files.key) }), mail(REMOTE_DOCTOR, JEANNE, { subject: 'Faux certificat' }));
    expect(result.ok).toBe(false);
    expect(delivered('Faux certificat')).toBe(0);
  });

  it('hears the peer whose certificate speaks for the sender', async () => {
    const result = await trySend(world.mx(), mail(REMOTE_DOCTOR, JEANNE, { subject: 'Certificat valide' }));
    expect(result.ok).toBe(true);
    expect(delivered('Certificat valide')).toBe(1);
  });
});

describe('a certificate speaks only for its own domains', () => {
  it("refuses MAIL FROM in another trusted operator's domain", async () => {
    const result = await trySend(world.mx(), mail(`dr.no@${NANTES}`, JEANNE, { subject: 'Usurpation' }));
    expect(result.response).toMatch(/^550 5\.7\.1 Envoi refusé : le certificat .* \/ the sending server's certificate does not speak for the sender's domain/);
    expect(result.response).toContain(`MAIL FROM dr.no@${NANTES}`);
    expect(delivered('Usurpation')).toBe(0);
  });

  it("refuses a From: in another trusted operator's domain behind a good envelope", async () => {
    const result = await trySend(world.mx(), {
      ...mail(`dr.no@${NANTES}`, JEANNE, { subject: 'Auteur usurpé' }),
      envelope: { from: REMOTE_DOCTOR, to: [JEANNE] },
    });
    expect(result.response).toMatch(/^550 5\.7\.1 .*From: dr\.no@chu-nantes\.mssante\.fr/);
    expect(delivered('Auteur usurpé')).toBe(0);
  });

  it('refuses a From: outside the trust space (rule 1 holds for the author too)', async () => {
    const result = await trySend(world.mx(), {
      ...mail('boss@gmail.com', JEANNE, { subject: 'Auteur étranger' }),
      envelope: { from: REMOTE_DOCTOR, to: [JEANNE] },
    });
    expect(result.response).toMatch(/^550 5\.7\.1 .*the sender is not in the MSSanté trust space \(From: boss@gmail\.com\)/);
    expect(delivered('Auteur étranger')).toBe(0);
  });

  it('speaks for a domain the operator attached to it, and no longer once detached', async () => {
    const hosted = `dr.no@${NANTES}`;
    expect((await mssgw(world.box, ['trust', 'attach', PEER_HOST, 'not-trusted.example.fr'])).code).toBe(2);
    expect((await mssgw(world.box, ['trust', 'attach', PEER_HOST, NANTES])).code).toBe(0);
    const peers = await mssgw(world.box, ['trust', 'peers', '--json']);
    expect(JSON.parse(peers.stdout)).toEqual([expect.objectContaining({ certificateName: PEER_HOST, domain: NANTES })]);
    expect((await trySend(world.mx(), mail(hosted, JEANNE, { subject: 'Hébergé' }))).ok).toBe(true);
    expect((await mssgw(world.box, ['trust', 'detach', PEER_HOST, NANTES])).code).toBe(0);
    expect((await trySend(world.mx(), mail(hosted, JEANNE, { subject: 'Plus hébergé' }))).response).toMatch(/^550 5\.7\.1 /);
    expect(delivered('Plus hébergé')).toBe(0);
  });

  it("accepts a bounce from the peer's own mail system", async () => {
    const answer = await rawMx('', JEANNE, [
      'From: Mail Delivery System <MAILER-DAEMON@mx.ch-lyon.mssante.fr>',
      `To: ${JEANNE}`,
      'Subject: Rebond',
      '',
      'Undeliverable.',
    ].join('\n'));
    expect(answer).toMatch(/^250 /);
  });
});

describe('exactly one From:, read as every client reads it', () => {
  const twoAuthors = (second: string) =>
    [`From: ${REMOTE_DOCTOR}`, `To: ${JEANNE}`, `${second}`, 'Subject: Deux auteurs', '', 'Bonjour.'].join('\n');

  it('refuses a second From: field on the MX', async () => {
    const answer = await rawMx(REMOTE_DOCTOR, JEANNE, twoAuthors(`From: ${REMOTE_DOCTOR}`));
    expect(answer).toMatch(/^550 5\.7\.1 .*exactly one From: header naming its author \(the message has 2 From: fields\)/);
  });

  it('refuses a second one written in the obsolete "From :" syntax', async () => {
    expect(await rawMx(REMOTE_DOCTOR, JEANNE, twoAuthors('From : dr.no@chu-nantes.mssante.fr'))).toMatch(/^550 5\.7\.1 .*2 From: fields/);
  });

  it('refuses a message without From:', async () => {
    const answer = await rawMx(REMOTE_DOCTOR, JEANNE, [`To: ${JEANNE}`, 'Subject: Sans auteur', '', 'Bonjour.'].join('\n'));
    expect(answer).toMatch(/^550 5\.7\.1 .*0 From: fields/);
  });

  it('refuses a hidden second author on submission too', async () => {
    const smtp = await RawSmtp.connect(world.server.ports.submission);
    try {
      await smtp.command('EHLO client');
      await smtp.startTls(world.ca);
      await smtp.command('EHLO client');
      expect(await smtp.command(`AUTH PLAIN ${plainAuth(DOCTOR, PASSWORD)}`)).toMatch(/^235/);
      await smtp.command(`MAIL FROM:<${DOCTOR}>`);
      await smtp.command(`RCPT TO:<${COLLEAGUE}>`);
      await smtp.command('DATA');
      const message = [`From: ${DOCTOR}`, `From : chef@hopital.mssante.fr`, `To: ${COLLEAGUE}`, 'Subject: Deux auteurs', '', 'x'].join('\r\n');
      expect(await smtp.command(`${message}\r\n.`)).toMatch(/^550 5\.7\.1 .*2 From: fields/);
    } finally {
      smtp.close();
    }
    expect(delivered('Deux auteurs')).toBe(0);
  });
});

describe('opting out of client certificates', () => {
  it('is possible for development, and loudly logged', async () => {
    const server = await startServer(world.box, { trust: { requireClientCert: false } });
    try {
      expect(server.logs()).toMatch(/OPT-OUT.*client certificate/);
    } finally {
      await server.stop();
    }
  });
});
