/**
 * The generic notification, end to end: the real server delivers a doctor's message to a
 * citizen and tells her so at her personal address, through the operator's mail relay — here a
 * capture smtp-server on loopback. The notification must say nothing of the message: no
 * sender, no subject, no word of the text, no document; only that something is new, and where
 * to look. Waits poll for a state, never sleep for a duration.
 */
import { readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { query } from '../helpers/peer-gateway.js';
import { waitFor } from '../helpers/wait.js';
import { DOCTOR, INS, REMOTE_DOCTOR, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const JEANNE = citizen(INS.jeanne);
const PAUL = citizen(INS.paul);
const JEANNE_EMAIL = 'jeanne@example.org';
const WEBMAIL = 'https://webmail.test/';
const FROM = 'Messagerie santé <ne-pas-repondre@mss.test>';

interface Captured {
  from: string;
  to: string[];
  raw: Buffer;
  mail: ParsedMail;
}

let relay: SMTPServer;
const captured: Captured[] = [];
let world: World;

beforeAll(async () => {
  // The operator's outgoing relay: plain SMTP on loopback, no STARTTLS offered, no AUTH.
  relay = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((mail) => {
          captured.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            mail,
          });
          callback();
        }, callback);
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    relay.server.once('error', reject);
    relay.listen(0, '127.0.0.1', () => resolve((relay.server.address() as AddressInfo).port));
  });
  world = await startWorld({ notify: { enabled: true, host: '127.0.0.1', port, from: FROM, webmailUrl: WEBMAIL } });
});

afterAll(async () => {
  await world?.stop();
  await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
  if (world) rmSync(world.box.dir, { recursive: true, force: true });
});

const notifyRows = (mailbox: string) =>
  query<{ id: number; email: string; state: string }>(world.box.dataDir, 'SELECT id, email, state FROM notify_queue WHERE mailbox = ? ORDER BY id', mailbox);

const inboxSubjects = (address: string) =>
  query<{ subject: string | null }>(
    world.box.dataDir,
    `SELECT x.subject FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
     WHERE m.address = ? AND f.name = 'INBOX' ORDER BY x.id`,
    address,
  ).map((m) => m.subject);

/** Waits for the capture relay to have received `count` notifications in all. */
const notificationsReceived = (count: number) =>
  waitFor(`${count} notification(s) at the relay`, () => captured.length >= count && captured.slice(0, count), {
    lastSeen: () => captured.map((c) => c.to),
  });

/** A message to Jeanne that must be notified: a barrier behind which earlier notifications would have arrived. */
async function barrier(label: string): Promise<void> {
  const before = captured.length;
  const sent = await trySend(world.session(), { from: DOCTOR, to: JEANNE, subject: `Barrière ${label}`, text: 'Suite.' });
  expect(sent.ok, sent.response).toBe(true);
  await notificationsReceived(before + 1);
}

describe('the generic notification', () => {
  const SUBJECT = 'Biopsie Quetzalcoatl : résultats préoccupants';
  const BODY = 'Chimiothérapie Zorglub prévue jeudi ; posologie Xylocaïne renforcée, oncologue Quincampoix.';
  const ATTACHMENT = 'presc-n1.zip';

  it('tells the citizen at her personal address that something is new, and nothing more', async () => {
    const sent = await trySend(world.session(), {
      from: { name: 'Dr Gregory House', address: DOCTOR },
      to: JEANNE,
      subject: SUBJECT,
      text: BODY,
      attachments: [{ filename: ATTACHMENT, content: readFileSync(path.join(ROOT, 'fixtures/documents', ATTACHMENT)) }],
    });
    expect(sent.ok, sent.response).toBe(true);
    expect(inboxSubjects(JEANNE)).toContain(SUBJECT);

    const [notification] = await notificationsReceived(1);
    expect(captured).toHaveLength(1);
    const { raw, mail } = notification!;

    // To her personal address only, from the configured sender.
    expect(notification!.to).toEqual([JEANNE_EMAIL]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual([JEANNE_EMAIL]);
    expect(mail.from?.value.map((a) => a.address)).toEqual(['ne-pas-repondre@mss.test']);
    expect(mail.cc).toBeUndefined();
    expect(mail.bcc).toBeUndefined();
    expect(mail.attachments).toHaveLength(0);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');

    // It says where to look.
    expect(mail.text).toContain(WEBMAIL);
    expect(mail.html || '').toContain(WEBMAIL);

    // And nothing about the message: checked in the raw bytes and in every decoded part.
    const decoded = [
      raw.toString('utf8'),
      mail.subject ?? '',
      mail.text ?? '',
      mail.html || '',
      [...mail.headers.entries()].map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n'),
    ]
      .join('\n')
      .toLowerCase();
    const words = [...`${SUBJECT} ${BODY}`.matchAll(/[\p{L}\p{N}]{4,}/gu)].map((m) => m[0].toLowerCase());
    expect(words.length).toBeGreaterThan(10);
    const forbidden = [
      DOCTOR,
      'dr.house',
      'house',
      'gregory',
      'hopital.mssante.fr',
      ...words,
      ATTACHMENT,
      'presc-n1',
      'ihe_xdm',
      'ordonnance',
      'prescription',
      INS.jeanne, // her health identifier stays inside the trust space too
    ];
    const leaked = forbidden.filter((word) => decoded.includes(word.toLowerCase()));
    expect(leaked).toEqual([]);

    // The server marks the row sent once the relay has answered, just after the capture saw it.
    const rows = await waitFor('the notification marked sent', () => {
      const now = notifyRows(JEANNE);
      return now.some((r) => r.state === 'pending') ? undefined : now;
    }, { lastSeen: () => notifyRows(JEANNE) });
    expect(rows).toEqual([{ id: rows[0]!.id, email: JEANNE_EMAIL, state: 'sent' }]);
  });

  it('sends nothing to a citizen without a personal address', async () => {
    const before = captured.length;
    const sent = await trySend(world.session(), { from: DOCTOR, to: PAUL, subject: 'Pour Paul', text: 'Bonjour Paul.' });
    expect(sent.ok, sent.response).toBe(true);
    expect(inboxSubjects(PAUL)).toContain('Pour Paul');
    // No row was queued with the delivery (both are one commit), and behind the barrier no
    // notification for anyone but Jeanne has arrived.
    expect(notifyRows(PAUL)).toEqual([]);
    await barrier('Paul');
    expect(captured.slice(before).map((c) => c.to)).toEqual([[JEANNE_EMAIL]]);
  });

  it('sends nothing for messages the rules refuse', async () => {
    const before = captured.length;
    const queuedBefore = notifyRows(JEANNE).length;

    // A document about another patient: 554 5.6.0 after DATA.
    const wrongPatient = await trySend(world.session(), {
      from: DOCTOR,
      to: JEANNE,
      subject: 'Document d’un autre patient',
      text: 'Ci-joint.',
      attachments: [{ filename: 'wrong-patient.zip', content: readFileSync(path.join(ROOT, 'fixtures/documents/wrong-patient.zip')) }],
    });
    expect(wrongPatient.ok).toBe(false);
    expect(wrongPatient.response).toMatch(/^554 5\.6\.0 /);

    // A sender outside the trust space, at the MX door: 550 5.7.1.
    const untrusted = await trySend(world.mx(), { from: 'spammer@example.com', to: JEANNE, subject: 'Promo', text: 'Achetez.' });
    expect(untrusted.ok).toBe(false);
    expect(untrusted.response).toMatch(/^550 5\.7\.1 /);

    // Another operator writing to an unknown citizen: 550 5.1.1.
    const unknown = await trySend(world.mx(), { from: REMOTE_DOCTOR, to: citizen(INS.unknown), subject: 'Inconnu', text: 'Bonjour.' });
    expect(unknown.ok).toBe(false);
    expect(unknown.response).toMatch(/^550 5\.1\.1 /);

    expect(inboxSubjects(JEANNE)).not.toContain('Document d’un autre patient');
    expect(inboxSubjects(JEANNE)).not.toContain('Promo');
    expect(notifyRows(JEANNE)).toHaveLength(queuedBefore);
    // The queue is worked in order: once the barrier's notification is in, nothing queued
    // before it is still on its way.
    await barrier('refus');
    expect(captured.length).toBe(before + 1);
    expect(notifyRows(JEANNE)).toHaveLength(queuedBefore + 1);
  });
});
