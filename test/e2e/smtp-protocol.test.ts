/**
 * SMTP protocol edge cases on raw sockets: TLS before anything that matters, AUTH order, client
 * certificates, SIZE, smuggling, STARTTLS command injection, login throttling.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate } from '../../src/tls/certificates.js';
import { peerCertificate } from '../helpers/certs.js';
import { RawSmtp, plainAuth } from '../helpers/raw-smtp.js';
import { COLLEAGUE, DOCTOR, INS, PASSWORD, REMOTE_DOCTOR, citizen, startWorld, trySend, type World } from '../helpers/world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

async function submission(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(world.server.ports.submission);
  await c.command('EHLO client.test');
  return c;
}

async function loggedIn(): Promise<RawSmtp> {
  const c = await submission();
  await c.startTls(world.ca);
  await c.command('EHLO client.test');
  expect(await c.command(`AUTH PLAIN ${plainAuth(DOCTOR, PASSWORD)}`)).toMatch(/^235 /);
  return c;
}

function countSubjects(address: string, subject: string): number {
  const db = world.db();
  try {
    const row = db
      .prepare(
        `SELECT count(*) AS n FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
         WHERE m.address = ? AND x.subject = ?`,
      )
      .get(address, subject) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

describe('TLS comes first', () => {
  it('advertises STARTTLS, SIZE, 8BITMIME, SMTPUTF8, PIPELINING and ENHANCEDSTATUSCODES', async () => {
    const c = await RawSmtp.connect(world.server.ports.submission);
    const ehlo = await c.command('EHLO client.test');
    for (const ext of ['STARTTLS', 'SIZE 20971520', '8BITMIME', 'SMTPUTF8', 'PIPELINING', 'ENHANCEDSTATUSCODES']) {
      expect(ehlo).toContain(ext);
    }
    c.close();
  });

  it('neither offers nor takes a password before STARTTLS on submission', async () => {
    const c = await RawSmtp.connect(world.server.ports.submission);
    expect(await c.command('EHLO client.test')).not.toMatch(/AUTH/);
    expect(await c.command(`AUTH PLAIN ${plainAuth(DOCTOR, PASSWORD)}`)).toMatch(/^5\d\d /);
    expect(await c.command('AUTH LOGIN')).toMatch(/^5\d\d /);
    expect(await c.command(`MAIL FROM:<${DOCTOR}>`)).toMatch(/^530 5\.7\.0 .*STARTTLS/);
    await c.startTls(world.ca);
    expect(await c.command('EHLO client.test')).toMatch(/AUTH PLAIN LOGIN EXTERNAL/);
    c.close();
  });

  it('wants a login before MAIL on submission', async () => {
    const c = await submission();
    await c.startTls(world.ca);
    await c.command('EHLO client.test');
    expect(await c.command(`MAIL FROM:<${DOCTOR}>`)).toMatch(/^530 5\.7\.0 /);
    c.close();
  });

  it('answers MAIL before STARTTLS on the MX with 530 5.7.0', async () => {
    const c = await RawSmtp.connect(world.server.ports.smtp);
    await c.command('EHLO mx.ch-lyon.mssante.fr');
    expect(await c.command(`MAIL FROM:<${REMOTE_DOCTOR}>`)).toMatch(/^530 5\.7\.0 .*STARTTLS/);
    c.close();
  });

  it('offers no AUTH on the MX', async () => {
    const c = await RawSmtp.connect(world.server.ports.smtp);
    await c.startTls(world.ca, peerCertificate());
    const ehlo = await c.command('EHLO mx.ch-lyon.mssante.fr');
    expect(ehlo).not.toMatch(/AUTH/);
    c.close();
  });

  it('negotiates TLS 1.2 or better, and refuses TLS 1.1', async () => {
    const c = await submission();
    await expect(c.startTls(world.ca, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).rejects.toThrow();
    c.close();
  });

  it('discards commands pipelined after STARTTLS (command injection)', async () => {
    const c = await submission();
    c.write('STARTTLS\r\nMAIL FROM:<attacker@evil.test>\r\n');
    // The server answers STARTTLS only; the injected MAIL must not be answered, before or after.
    const answer = await c.reply();
    expect(answer).toMatch(/^220 /);
    const plainC = c as unknown as { socket: import('node:net').Socket };
    const tls = await import('node:tls');
    plainC.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: plainC.socket, ca: world.ca, servername: 'localhost' });
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    let received = '';
    secure.on('data', (d: Buffer) => (received += d.toString()));
    secure.write('NOOP\r\n');
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toMatch(/^250 /);
    expect(received.split('\r\n').filter(Boolean)).toHaveLength(1);
    secure.destroy();
  });
});

describe('client certificates (SASL EXTERNAL)', () => {
  it('logs a professional in with the certificate issued by certs issue --client', async () => {
    const dir = path.join(world.box.dir, 'client-certs');
    const files = issueCertificate(world.box.certDir, DOCTOR, true, dir);
    const c = await submission();
    await c.startTls(world.ca, { cert: readFileSync(files.cert), key: readFileSync(files.key) });
    const ehlo = await c.command('EHLO client.test');
    expect(ehlo).toMatch(/AUTH .*EXTERNAL/);
    expect(await c.command('AUTH EXTERNAL =')).toMatch(/^235 /);
    expect(await c.command(`MAIL FROM:<${DOCTOR}>`)).toMatch(/^250 /);
    c.close();
  });

  it('refuses EXTERNAL for another identity than the certificate names', async () => {
    const files = issueCertificate(world.box.certDir, COLLEAGUE, true, path.join(world.box.dir, 'client-certs'));
    const c = await submission();
    await c.startTls(world.ca, { cert: readFileSync(files.cert), key: readFileSync(files.key) });
    await c.command('EHLO client.test');
    expect(await c.command(`AUTH EXTERNAL ${Buffer.from(DOCTOR).toString('base64')}`)).toMatch(/^535 5\.7\.8/);
    c.close();
  });

  it('refuses EXTERNAL without a certificate', async () => {
    const c = await submission();
    await c.startTls(world.ca);
    await c.command('EHLO client.test');
    expect(await c.command('AUTH EXTERNAL =')).toMatch(/^535 5\.7\.8/);
    c.close();
  });
});

describe('SIZE', () => {
  it('refuses a declared size over the limit at MAIL with 552 5.3.4', async () => {
    const c = await loggedIn();
    expect(await c.command(`MAIL FROM:<${DOCTOR}> SIZE=${30 * 1024 * 1024}`)).toMatch(/^552 5\.3\.4 /);
    c.close();
  });

  it('refuses a message over SIZE at the end of DATA with 552 5.3.4', async () => {
    const big = Buffer.alloc(21 * 1024 * 1024, 'a');
    const result = await trySend(world.submission(), {
      from: DOCTOR,
      to: COLLEAGUE,
      subject: 'trop gros',
      text: 'x',
      attachments: [{ filename: 'big.txt', content: big, contentTransferEncoding: '7bit' } as never],
    });
    expect(result.response).toMatch(/^552 5\.3\.4 Message trop volumineux .*limit is 20971520/);
    expect(countSubjects(COLLEAGUE, 'trop gros')).toBe(0);
  });

  it('refuses attachments over 10 MB once decoded, even under SIZE, with 552 5.3.4', async () => {
    const result = await trySend(world.submission(), {
      from: DOCTOR,
      to: COLLEAGUE,
      subject: 'pièces trop grosses',
      text: 'x',
      attachments: [{ filename: 'scan.pdf', content: Buffer.alloc(10 * 1024 * 1024 + 1, 1) }],
    });
    expect(result.response).toMatch(/^552 5\.3\.4 .*attachments total 10485761 bytes once decoded; the limit is 10485760/);
  });
});

describe('SMTP smuggling', () => {
  async function smuggle(separator: string, subject: string): Promise<string> {
    const c = await loggedIn();
    expect(await c.command(`MAIL FROM:<${DOCTOR}>`)).toMatch(/^250/);
    expect(await c.command(`RCPT TO:<${COLLEAGUE}>`)).toMatch(/^250/);
    expect(await c.command('DATA')).toMatch(/^354/);
    c.write(
      `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: ${subject}\r\n\r\nfirst part` +
        `${separator}MAIL FROM:<${DOCTOR}>\r\nRCPT TO:<${COLLEAGUE}>\r\nDATA\r\n` +
        `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: smuggled ${subject}\r\n\r\nhidden\r\n.\r\n`,
    );
    const answer = await c.reply();
    c.close();
    return answer;
  }

  it.each([
    ['<LF>.<LF>', '\n.\n'],
    ['<CR>.<CR>', '\r.\r'],
    ['<LF>.<CR><LF>', '\n.\r\n'],
    ['<CR><LF>.<LF>', '\r\n.\n'],
  ])('does not split one message into two at %s', async (label, separator) => {
    const subject = `smuggle ${label}`;
    const answer = await smuggle(separator, subject);
    // Either the whole text is one message, or it is refused; never a second message.
    expect(countSubjects(COLLEAGUE, `smuggled ${subject}`)).toBe(0);
    expect(countSubjects(COLLEAGUE, subject)).toBe(answer.startsWith('250') ? 1 : 0);
  });
});

describe('failed logins', () => {
  // Last in this file: the throttle also counts per IP, and every test connects from 127.0.0.1.
  it('closes the connection with 421 4.7.0 after too many failures', async () => {
    // The failed EXTERNAL attempt above already counts against this IP: at most 5 failures in all.
    const replies: string[] = [];
    let closed = false;
    for (let i = 0; i < 6 && !replies.some((r) => r.startsWith('421')); i++) {
      const c = await submission();
      await c.startTls(world.ca);
      await c.command('EHLO client.test');
      const reply = await c.command(`AUTH PLAIN ${plainAuth(citizen(INS.paul), `wrong-${i}`)}`);
      replies.push(reply);
      if (reply.startsWith('421')) closed = await c.waitClosed();
      c.close();
    }
    const blockedAt = replies.findIndex((r) => r.startsWith('421'));
    expect(blockedAt).toBeGreaterThanOrEqual(1);
    expect(blockedAt).toBeLessThanOrEqual(5);
    expect(replies.slice(0, blockedAt).every((r) => r.startsWith('535 5.7.8'))).toBe(true);
    expect(replies[blockedAt]).toMatch(/^421 4\.7\.0 .*Too many failed logins/);
    expect(closed).toBe(true);
});
});
