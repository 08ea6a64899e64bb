/**
 * The SMTP doors against inputs that used to stall a session or get the wrong answer (issue 7):
 * huge or malformed headers, absurd MIME structures, connection floods and slow clients, the
 * library's English-only replies, and submitted messages without Date: or Message-ID:.
 * Raw sockets against the real server, with small limits in a second world where a test needs them.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MimeIndex } from '../../src/mime/types.js';
import { peerCertificate } from '../helpers/certs.js';
import { RawSmtp, plainAuth } from '../helpers/raw-smtp.js';
import { COLLEAGUE, DOCTOR, PASSWORD, PHARMACY, REMOTE_DOCTOR, startWorld, type World } from '../helpers/world.js';

/** A reply of ours: code, enhanced code, then a French text and an English one. */
const BILINGUAL = /^\d{3} [245]\.\d{1,3}\.\d{1,3} \S.* \/ \S.*$/;

let world: World;
/**
 * Part headers may be up to 2 MiB here, past the parser's own limit (mailparser stops at 1 MiB):
 * the parser then fails where the gates do not, and the session must not stall on it.
 */
const ROOMY = { limits: { maxHeaderBytes: 2 * 1024 * 1024 } };
/** Small limits and deadlines, so that caps and timeouts can be reached in a test. */
let tight: World;
const TIGHT = {
  limits: { maxMessageBytes: 100_000, maxRecipients: 2 },
  smtp: { maxConnections: 3, maxConnectionsPerClient: 2, commandTimeoutSeconds: 1, dataTimeoutSeconds: 2 },
};

beforeAll(async () => {
  // Both start at once; one that fails to start must not leave the other running.
  const [a, b] = await Promise.allSettled([startWorld(ROOMY), startWorld(TIGHT)]);
  if (a.status === 'fulfilled') world = a.value;
  if (b.status === 'fulfilled') tight = b.value;
  for (const r of [a, b]) if (r.status === 'rejected') throw r.reason;
});
afterAll(async () => {
  await Promise.all([world?.stop(), tight?.stop()]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function loggedIn(w: World = world): Promise<RawSmtp> {
  const c = await RawSmtp.connect(w.server.ports.submission);
  await c.command('EHLO client.test');
  await c.startTls(w.ca);
  await c.command('EHLO client.test');
  expect(await c.command(`AUTH PLAIN ${plainAuth(DOCTOR, PASSWORD)}`)).toMatch(/^235 /);
  return c;
}

/** MAIL, RCPT, DATA, the message (no line of it starts with a dot), and the final reply. */
async function transaction(c: RawSmtp, message: string | Buffer, from = DOCTOR, to = COLLEAGUE): Promise<string> {
  expect(await c.command(`MAIL FROM:<${from}>`)).toMatch(/^250 /);
  expect(await c.command(`RCPT TO:<${to}>`)).toMatch(/^250 /);
  expect(await c.command('DATA')).toMatch(/^354 /);
  c.write(message);
  c.write('\r\n.\r\n');
  return c.reply();
}

const simple = (subject: string, extra = '') =>
  `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: ${subject}\r\n${extra}\r\nBonjour.\r\n`;

function stored(w: World, address: string, subject: string): Array<{ message_id: string; blob_id: string; mime: string }> {
  const db = w.db();
  try {
    return db
      .prepare(
        `SELECT x.message_id, x.blob_id, b.mime FROM messages x JOIN blobs b ON b.id = x.blob_id
         JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
         WHERE m.address = ? AND x.subject = ?`,
      )
      .all(address, subject) as Array<{ message_id: string; blob_id: string; mime: string }>;
  } finally {
    db.close();
  }
}

const blobFile = (w: World, id: string) => readFileSync(path.join(w.box.dataDir, 'blobs', id.slice(0, 6), id));

describe('header limits: refused at once, the session goes on', () => {
  it('refuses a 5 MB header block with 552 5.3.4 right after the data, then takes the next message', async () => {
    const c = await loggedIn();
    const line = `X-Filler: ${'a'.repeat(990)}\r\n`;
    const header = `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: huge header\r\n${line.repeat(5 * 1024)}`;
    // RawSmtp's reply() gives up after 10 s: an answer at all means no stall.
    const answer = await transaction(c, `${header}\r\nbody\r\n`);
    expect(answer).toMatch(/^552 5\.3\.4 /);
    expect(answer).toMatch(BILINGUAL);
    expect(answer).toMatch(/en-tête.*header/i);
    expect(stored(world, COLLEAGUE, 'huge header')).toHaveLength(0);
    // The same session carries on with a normal message.
    expect(await transaction(c, simple('after huge header'))).toMatch(/^250 /);
    expect(stored(world, COLLEAGUE, 'after huge header')).toHaveLength(1);
    c.close();
  });

  it('refuses one header line over the line limit with 552 5.3.4', async () => {
    const c = await loggedIn();
    const answer = await transaction(c, simple('long line', `X-Long: ${'b'.repeat(200 * 1024)}\r\n`));
    expect(answer).toMatch(/^552 5\.3\.4 .*line/);
    expect(answer).toMatch(BILINGUAL);
    expect(await c.command('NOOP')).toMatch(/^250 /);
    c.close();
  });
});

describe('a parser that fails cannot stall the session', () => {
  it('refuses at once with 554 5.6.0 what the parser cannot read, and takes the next message', async () => {
    const partHeader = `X-Part-Filler: ${'p'.repeat(1990)}\r\n`.repeat(768); // 1.5 MB in 768 fields
    const message =
      `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: unreadable\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n` +
      `--b\r\n${partHeader}Content-Type: text/plain\r\n\r\nx\r\n--b--\r\n`;
    const c = await loggedIn();
    // RawSmtp's reply() gives up after 10 s: an answer at all means no stall.
    const answer = await transaction(c, message);
    expect(answer).toMatch(/^554 5\.6\.0 .*cannot be read/);
    expect(answer).toMatch(BILINGUAL);
    expect(await transaction(c, simple('after unreadable'))).toMatch(/^250 /);
    c.close();
  });
});

describe('structural limits are permanent refusals', () => {
  it('refuses 1,000 nested multiparts with 554 5.6.0 and says why', async () => {
    let body = '';
    for (let i = 0; i < 1000; i++) body += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
    body += 'Content-Type: text/plain\r\n\r\nau fond\r\n';
    for (let i = 999; i >= 0; i--) body += `--b${i}--\r\n`;
    const c = await loggedIn();
    const answer = await transaction(c, `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: nested\r\nMIME-Version: 1.0\r\n${body}`);
    expect(answer).toMatch(/^554 5\.6\.0 .*MIME structure.*nested more than \d+ levels/);
    expect(answer).not.toMatch(/format/);
    expect(answer).toMatch(BILINGUAL);
    expect(await c.command('NOOP')).toMatch(/^250 /);
    c.close();
  });

  it('refuses 10,000 parts with 554 5.6.0 and says why', async () => {
    const parts = '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n'.repeat(10_000);
    const c = await loggedIn();
    const answer = await transaction(
      c,
      `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: many parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${parts}--b--\r\n`,
    );
    expect(answer).toMatch(/^554 5\.6\.0 .*MIME structure.*more than \d+ MIME parts/);
    expect(answer).not.toMatch(/format/);
    expect(answer).toMatch(BILINGUAL);
    c.close();
  });

  it('refuses a header with too many fields with 554 5.6.0', async () => {
    const c = await loggedIn();
    const answer = await transaction(c, simple('many fields', 'X-N: 1\r\n'.repeat(20_000)));
    expect(answer).toMatch(/^554 5\.6\.0 .*header fields/);
    expect(answer).toMatch(BILINGUAL);
    c.close();
  });
});

/** A bare connection from a chosen loopback address: its first reply, and whether it was closed. */
async function dial(port: number, localAddress = '127.0.0.1'): Promise<{ first: string; closed: Promise<boolean>; end(): void }> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  let text = '';
  const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
  socket.on('error', () => undefined);
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no greeting; got ${JSON.stringify(text)}`)), 5_000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const end = text.indexOf('\r\n');
      if (end !== -1) {
        clearTimeout(timer);
        resolve(text.slice(0, end));
      }
    });
  });
  return { first, closed: Promise.race([closed, sleep(5_000).then(() => false)]), end: () => socket.destroy() };
}

describe('connection caps and deadlines', () => {
  it('refuses a third connection from the same client with 421 4.7.0 and closes it', async () => {
    const port = tight.server.ports.submission;
    const a = await dial(port);
    const b = await dial(port);
    expect([a.first, b.first]).toEqual([expect.stringMatching(/^220 /), expect.stringMatching(/^220 /)]);
    const c = await dial(port);
    expect(c.first).toMatch(/^421 4\.7\.0 /);
    expect(c.first).toMatch(BILINGUAL);
    expect(await c.closed).toBe(true);
    // Another door counts its own connections.
    const mx = await dial(tight.server.ports.smtp);
    expect(mx.first).toMatch(/^220 /);
    for (const x of [a, b, c, mx]) x.end();
    await sleep(300);
    // Once they are gone, the client is welcome again.
    const d = await dial(port);
    expect(d.first).toMatch(/^220 /);
    d.end();
    await sleep(300);
  });

  it('refuses connections over the door total with 421 4.7.0, whatever the client', async () => {
    const port = tight.server.ports.submission;
    const open = [await dial(port, '127.0.0.1'), await dial(port, '127.0.0.2'), await dial(port, '127.0.0.3')];
    expect(open.map((o) => o.first.slice(0, 4))).toEqual(['220 ', '220 ', '220 ']);
    const over = await dial(port, '127.0.0.4');
    expect(over.first).toMatch(/^421 4\.7\.0 /);
    expect(over.first).toMatch(BILINGUAL);
    expect(await over.closed).toBe(true);
    for (const x of [...open, over]) x.end();
    await sleep(300);
  });

  it('ends a command line that trickles in byte by byte with 421 4.4.2', async () => {
    const c = await RawSmtp.connect(tight.server.ports.submission);
    // The client never goes idle: only the command deadline can end it.
    const trickle = setInterval(() => c.write('N'), 300);
    try {
      const answer = await c.reply();
      expect(answer).toMatch(/^421 4\.4\.2 /);
      expect(answer).toMatch(BILINGUAL);
      expect(await c.waitClosed()).toBe(true);
    } finally {
      clearInterval(trickle);
      c.close();
    }
    await sleep(300);
  });

  it('ends a DATA phase that never finishes with 421 4.4.2 and stores nothing', async () => {
    const c = await loggedIn(tight);
    expect(await c.command(`MAIL FROM:<${DOCTOR}>`)).toMatch(/^250 /);
    expect(await c.command(`RCPT TO:<${COLLEAGUE}>`)).toMatch(/^250 /);
    expect(await c.command('DATA')).toMatch(/^354 /);
    c.write(`From: ${DOCTOR}\r\nSubject: slow data\r\n\r\n`);
    // Lines keep coming: only the DATA deadline can end it.
    const trickle = setInterval(() => c.write('une ligne de plus\r\n'), 300);
    try {
      const answer = await c.reply();
      expect(answer).toMatch(/^421 4\.4\.2 /);
      expect(answer).toMatch(BILINGUAL);
      expect(await c.waitClosed()).toBe(true);
    } finally {
      clearInterval(trickle);
      c.close();
    }
    expect(stored(tight, COLLEAGUE, 'slow data')).toHaveLength(0);
    await sleep(300);
  });
});

describe('every reply has an enhanced code and says it in French and English', () => {
  it('answers AUTH before STARTTLS with 530 5.7.0', async () => {
    const c = await RawSmtp.connect(world.server.ports.submission);
    await c.command('EHLO client.test');
    const answer = await c.command(`AUTH PLAIN ${plainAuth(DOCTOR, PASSWORD)}`);
    expect(answer).toMatch(/^530 5\.7\.0 .*STARTTLS/);
    expect(answer).toMatch(BILINGUAL);
    c.close();
  });

  it('refuses MAIL and RCPT parameters that are not advertised with 555 5.5.4', async () => {
    const c = await loggedIn();
    for (const param of ['NOTIFY=SUCCESS', 'RET=HDRS', 'ENVID=abc', 'X-UNKNOWN=1']) {
      const answer = await c.command(`MAIL FROM:<${DOCTOR}> ${param}`);
      expect(answer, param).toMatch(/^555 5\.5\.4 /);
      expect(answer, param).toMatch(BILINGUAL);
    }
    // What is advertised is taken.
    expect(await c.command(`MAIL FROM:<${DOCTOR}> SIZE=1000 BODY=8BITMIME SMTPUTF8`)).toMatch(/^250 /);
    for (const param of ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;x@y.fr', 'X-UNKNOWN']) {
      const answer = await c.command(`RCPT TO:<${COLLEAGUE}> ${param}`);
      expect(answer, param).toMatch(/^555 5\.5\.4 /);
      expect(answer, param).toMatch(BILINGUAL);
    }
    expect(await c.command(`RCPT TO:<${COLLEAGUE}>`)).toMatch(/^250 /);
    c.close();
  });

  it('says "message too large" for the raw size, at MAIL and at the end of DATA', async () => {
    const c = await loggedIn(tight);
    const declared = await c.command(`MAIL FROM:<${DOCTOR}> SIZE=200000`);
    expect(declared).toMatch(/^552 5\.3\.4 .*message too large/);
    expect(declared).toMatch(BILINGUAL);
    const answer = await transaction(c, simple('too big', `X-Pad: x\r\n`) + 'du texte sans pièce jointe\r\n'.repeat(5_000));
    expect(answer).toMatch(/^552 5\.3\.4 Message trop volumineux.*message too large/);
    expect(answer).not.toMatch(/attachment|pièce/);
    expect(answer).toMatch(BILINGUAL);
    c.close();
    await sleep(300);
  });

  it('says too many recipients in both languages', async () => {
    const c = await loggedIn(tight);
    expect(await c.command(`MAIL FROM:<${DOCTOR}>`)).toMatch(/^250 /);
    expect(await c.command(`RCPT TO:<${COLLEAGUE}>`)).toMatch(/^250 /);
    expect(await c.command(`RCPT TO:<${PHARMACY}>`)).toMatch(/^250 /);
    const answer = await c.command(`RCPT TO:<${DOCTOR}>`);
    expect(answer).toMatch(/^452 4\.5\.3 /);
    expect(answer).toMatch(BILINGUAL);
    c.close();
    await sleep(300);
  });

  it('gives an enhanced code and both languages to every other reply of a session', async () => {
    const replies: string[] = [];
    const c = await RawSmtp.connect(world.server.ports.submission);
    const say = async (line: string) => {
      const answer = await c.command(line);
      replies.push(`${line} → ${answer}`);
      return answer;
    };
    await say('MAIL FROM:<a@b.fr>'); // before EHLO
    await c.command('EHLO client.test');
    await say('NOOP');
    await say('RSET');
    await say('HELP');
    await say('VRFY someone');
    await say('VRFY');
    await say('FROBNICATE');
    await say('EHLO');
    await say('STARTTLS now');
    await c.startTls(world.ca);
    await c.command('EHLO client.test');
    await say('STARTTLS');
    await say('MAIL FROM:<a@b.fr>'); // not logged in
    await say('AUTH CRAM-MD5');
    expect(await c.command('AUTH PLAIN')).toMatch(/^334 ?$/); // a challenge: no text of ours
    await say('*'); // aborts the exchange
    expect(await c.command(`AUTH PLAIN ${plainAuth(DOCTOR, PASSWORD)}`)).toMatch(/^235 2\.7\.0 .* \/ /);
    await say('AUTH PLAIN');
    await say('RCPT TO:<x@y.fr>'); // before MAIL
    await say('DATA'); // before RCPT
    await say('MAIL FROM:x@y.fr'); // bad syntax
    await say(`MAIL FROM:<${DOCTOR}> SIZE=abc`);
    await say(`MAIL FROM:<${DOCTOR}> BODY=BINARYMIME`);
    await say(`MAIL FROM:<${DOCTOR}> SIZE=1 SIZE=2`);
    await say(`MAIL FROM:<${DOCTOR}>`);
    await say(`MAIL FROM:<${DOCTOR}>`); // nested
    await say('RCPT TO:<bad address>');
    await say(`RCPT TO:<${COLLEAGUE}>`);
    await say('QUIT');
    const wrong = replies.filter((r) => !BILINGUAL.test(r.slice(r.indexOf('→ ') + 2)));
    expect(wrong).toEqual([]);
    c.close();
  });
});

describe('submission adds Date: and Message-ID: (RFC 6409 §8)', () => {
  it('adds both to a submitted message that has neither, through the MIME index', async () => {
    const c = await loggedIn();
    const answer = await transaction(c, `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: sans date\r\n\r\nBonjour.\r\n`);
    expect(answer).toMatch(/^250 /);
    c.close();
    const queueId = /queued as ([0-9a-f]+)/.exec(answer)![1]!;
    const [row] = stored(world, COLLEAGUE, 'sans date');
    expect(row).toBeDefined();
    const raw = blobFile(world, row!.blob_id).toString('utf8');
    const header = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(header).toMatch(/\r\nDate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000(\r\n|$)/);
    const messageId = /\r\nMessage-ID: (<[^>]+>)/.exec(header)?.[1];
    expect(messageId).toBe(`<${queueId}@localhost>`);
    // What the pipeline records is what the stored message says.
    expect(row!.message_id).toBe(messageId);
    const index = JSON.parse(row!.mime) as MimeIndex;
    expect(index.envelope.messageId).toBe(messageId);
    expect(index.envelope.date).toMatch(/\+0000$/);
    expect(index.size).toBe(Buffer.byteLength(raw));
    // The added fields end the header, before the empty line; the index cuts the file there.
    expect(raw.slice(index.root.headerStart, index.root.bodyStart)).toMatch(new RegExp(`\\r\\nMessage-ID: ${messageId}\\r\\n\\r\\n$`));
    expect(raw.slice(index.root.bodyStart)).toMatch(/^Bonjour\.\r\n/);
  });

  it('keeps the Date: and Message-ID: a submitted message has', async () => {
    const c = await loggedIn();
    const own = 'Date: Mon, 01 Dec 2025 10:00:00 +0100\r\nMessage-ID: <own-id@cabinet.test>\r\n';
    expect(await transaction(c, simple('avec date', own))).toMatch(/^250 /);
    c.close();
    const [row] = stored(world, COLLEAGUE, 'avec date');
    const raw = blobFile(world, row!.blob_id).toString('utf8');
    expect(raw.match(/^Date:/gim)).toHaveLength(1);
    expect(raw.match(/^Message-ID:/gim)).toHaveLength(1);
    expect(row!.message_id).toBe('<own-id@cabinet.test>');
  });

  it('never adds them to what another operator sent', async () => {
    const c = await RawSmtp.connect(world.server.ports.smtp);
    await c.command('EHLO mx.ch-lyon.mssante.fr');
    await c.startTls(world.ca, peerCertificate());
    await c.command('EHLO mx.ch-lyon.mssante.fr');
    const answer = await transaction(c, `From: ${REMOTE_DOCTOR}\r\nTo: ${DOCTOR}\r\nSubject: mx sans date\r\n\r\nBonjour.\r\n`, REMOTE_DOCTOR, DOCTOR);
    expect(answer).toMatch(/^250 /);
    c.close();
    const [row] = stored(world, DOCTOR, 'mx sans date');
    const raw = blobFile(world, row!.blob_id).toString('utf8');
    expect(raw).not.toMatch(/^(Date|Message-ID):/im);
  });
});
