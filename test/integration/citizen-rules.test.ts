/**
 * The reply-only rule from the citizen's side. Citizens write through the webmail, whose door
 * is the pipeline itself (`origin: webmail`); this test drives the real gateway in-process —
 * SQLite on disk, message files, mailparser, the document checks — exactly as the webmail does,
 * and professionals answer through the same pipeline as the SMTP doors use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SendMailOptions } from 'nodemailer/lib/mailer/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { compose, submit } from '../../src/pipeline/submit.js';
import type { Origin, Outcome } from '../../src/pipeline/types.js';
import { ROOT, sandbox } from '../helpers/cli.js';
import { COLLEAGUE, DOCTOR, INS, PHARMACY, REMOTE_DOCTOR, REMOTE_PHARMACY, citizen, provisionWorld } from '../helpers/world.js';

const JEANNE = citizen(INS.jeanne);
const PAUL = citizen(INS.paul);
const prescription = readFileSync(path.join(ROOT, 'fixtures/documents/presc-n1.zip'));

let gateway: Gateway;
beforeAll(async () => {
  const box = sandbox();
  await provisionWorld(box);
  const config = loadConfig({
    env: { ...box.env, MSS_LOG_LEVEL: 'silent', MSS_SMTP_PORT: '0', MSS_SUBMISSION_PORT: '0', MSS_IMAP_PORT: '0', MSS_IMAPS_PORT: '0', MSS_HTTP_PORT: '0' },
  });
  gateway = await startGateway(config);
});
afterAll(async () => {
  await gateway?.stop();
});

/** The verified client certificate the other operator's MX presents (as the MX door reports it). */
const LYON_CERTIFICATE = { authorized: true, names: ['mx.ch-lyon.mssante.fr'] };

/** Sends as `from` through the given door; the authenticated mailbox is the sender for local doors. */
function send(origin: Origin, from: string, to: string | string[], mail: SendMailOptions = {}): Promise<Outcome> {
  const recipients = Array.isArray(to) ? to : [to];
  const mx = origin === 'mx';
  return submit(
    gateway.pipeline,
    { origin, address: from, authenticatedAs: mx ? undefined : from, client: { ip: '127.0.0.1', ...(mx ? { certificate: LYON_CERTIFICATE } : {}) } },
    recipients,
    () => compose({ from, to: recipients, subject: 'Message', text: 'Bonjour', ...mail }),
  );
}
const asCitizen = (from: string, to: string | string[], mail?: SendMailOptions) => send('webmail', from, to, mail);
const asDoctor = (from: string, to: string | string[], mail?: SendMailOptions) => send('submission', from, to, mail);

function refusalCode(outcome: Outcome): string | undefined {
  return outcome.accepted ? undefined : outcome.refusal.code;
}

function messageIdOf(outcome: Outcome): string {
  if (!outcome.accepted) throw new Error(`refused: ${outcome.refusal.code} ${outcome.refusal.detail ?? ''}`);
  return outcome.messageId;
}

describe('a citizen writes', () => {
  it('never to another citizen (rule 4)', async () => {
    expect(refusalCode(await asCitizen(JEANNE, PAUL))).toBe('CITIZEN_TO_CITIZEN');
  });

  it('not to a professional who never wrote to them (rule 5)', async () => {
    const outcome = await asCitizen(JEANNE, COLLEAGUE);
    expect(refusalCode(outcome)).toBe('NO_PRIOR_CONTACT');
    expect(!outcome.accepted && outcome.refusal.en).toBe('a citizen may only write to a professional who wrote to them first');
  });

  it('to a professional who wrote first, in reply or anew, and keeps a copy in Sent', async () => {
    const first = messageIdOf(await asDoctor(DOCTOR, JEANNE, { subject: 'Rendez-vous' }));
    const reply = await asCitizen(JEANNE, DOCTOR, { subject: 'Re: Rendez-vous', inReplyTo: first, references: [first] });
    expect(reply.accepted).toBe(true);
    const fresh = await asCitizen(JEANNE, DOCTOR, { subject: 'Une autre question' });
    expect(fresh.accepted).toBe(true);

    const doctorInbox = await gateway.store.messages.list(DOCTOR, 'INBOX');
    expect(doctorInbox.map((m) => m.subject)).toEqual(expect.arrayContaining(['Re: Rendez-vous', 'Une autre question']));
    const sent = await gateway.store.messages.list(JEANNE, 'Sent');
    expect(sent.map((m) => m.subject)).toEqual(expect.arrayContaining(['Re: Rendez-vous', 'Une autre question']));
    expect(sent.every((m) => m.flags.includes('\\Seen'))).toBe(true);
    // The reply joined the conversation the doctor opened.
    const jeanneInbox = await gateway.store.messages.list(JEANNE, 'INBOX');
    const opened = jeanneInbox.find((m) => m.subject === 'Rendez-vous')!;
    const answered = doctorInbox.find((m) => m.subject === 'Re: Rendez-vous')!;
    expect(answered.conversationId).toBe(opened.conversationId);
  });

  it('not inside a conversation the professional closed with X-MSS-MES: FIN, but anew', async () => {
    const question = messageIdOf(await asDoctor(DOCTOR, JEANNE, { subject: 'Suivi' }));
    const closing = messageIdOf(
      await asDoctor(DOCTOR, JEANNE, { subject: 'Re: Suivi', inReplyTo: question, references: [question], headers: { 'X-MSS-MES': 'FIN' } }),
    );
    const refused = await asCitizen(JEANNE, DOCTOR, { subject: 'Re: Re: Suivi', inReplyTo: closing, references: [question, closing] });
    expect(refusalCode(refused)).toBe('CONVERSATION_CLOSED');
    expect(refusalCode(await asCitizen(JEANNE, DOCTOR, { subject: 'Re: Suivi', inReplyTo: question }))).toBe('CONVERSATION_CLOSED');
    expect((await asCitizen(JEANNE, DOCTOR, { subject: 'Nouvelle demande' })).accepted).toBe(true);
  });

  it('not in any earlier conversation once the professional sent a [FIN] subject', async () => {
    const open = messageIdOf(await asDoctor(DOCTOR, JEANNE, { subject: 'Bilan' }));
    expect((await asCitizen(JEANNE, DOCTOR, { subject: 'Re: Bilan', inReplyTo: open })).accepted).toBe(true);
    messageIdOf(await asDoctor(DOCTOR, JEANNE, { subject: '[FIN]' }));
    expect(refusalCode(await asCitizen(JEANNE, DOCTOR, { subject: 'Re: Bilan', inReplyTo: open }))).toBe('CONVERSATION_CLOSED');
  });

  it('to an MSSanté address a professional named in Reply-To (it counts as having written)', async () => {
    expect(refusalCode(await asCitizen(PAUL, COLLEAGUE))).toBe('NO_PRIOR_CONTACT');
    messageIdOf(await asDoctor(DOCTOR, PAUL, { subject: 'Secrétariat', replyTo: COLLEAGUE }));
    expect((await asCitizen(PAUL, COLLEAGUE, { subject: 'Pour le secrétariat' })).accepted).toBe(true);
  });

  it('not to a third party named in Reply-To: only the sender\'s own organisation counts', async () => {
    // A doctor of the hospital names a pharmacy and another operator's doctor in Reply-To.
    messageIdOf(await asDoctor(DOCTOR, JEANNE, { subject: 'Ordonnance', replyTo: [PHARMACY, REMOTE_PHARMACY, REMOTE_DOCTOR] }));
    // The hospital's own pharmacy is of the same organisation (same domain): it counts.
    expect(await gateway.store.conversations.hasWritten(PHARMACY, JEANNE)).toBe(true);
    expect(await gateway.store.conversations.hasWritten(REMOTE_DOCTOR, JEANNE)).toBe(false);
    expect(refusalCode(await asCitizen(JEANNE, REMOTE_DOCTOR, { subject: 'Bonjour' }))).toBe('NO_PRIOR_CONTACT');
    // Another operator may not open our professionals' doors either.
    messageIdOf(await send('mx', REMOTE_DOCTOR, JEANNE, { subject: 'Lyon', replyTo: [COLLEAGUE, `secretariat@ch-lyon.mssante.fr`] }));
    expect(await gateway.store.conversations.hasWritten(COLLEAGUE, JEANNE)).toBe(false);
    expect(await gateway.store.conversations.hasWritten('secretariat@ch-lyon.mssante.fr', JEANNE)).toBe(true);
  });

  it('to a professional of another operator who wrote first, through the relay', async () => {
    expect(refusalCode(await asCitizen(PAUL, REMOTE_DOCTOR))).toBe('NO_PRIOR_CONTACT');
    messageIdOf(await send('mx', REMOTE_DOCTOR, PAUL, { subject: 'De Lyon' }));
    expect((await asCitizen(PAUL, REMOTE_DOCTOR, { subject: 'Re: De Lyon' })).accepted).toBe(true);
    const due = await gateway.store.relay.due(new Date(Date.now() + 1000), 10);
    expect(due.map((r) => [r.sender, r.recipient])).toContainEqual([PAUL, REMOTE_DOCTOR]);
  });
});

describe('a citizen writes to a pharmacy (rule 6)', () => {
  it('is refused without a prescription', async () => {
    const outcome = await asCitizen(PAUL, PHARMACY, { subject: 'Question' });
    expect(refusalCode(outcome)).toBe('PHARMACY_NEEDS_PRESCRIPTION');
    expect(await gateway.store.messages.list(PHARMACY, 'INBOX')).toHaveLength(0);
  });

  it('is refused with an attachment that is not a prescription', async () => {
    const outcome = await asCitizen(PAUL, PHARMACY, {
      subject: 'Photo',
      attachments: [{ filename: 'photo.png', content: readFileSync(path.join(ROOT, 'fixtures/documents/image.png')) }],
    });
    expect(refusalCode(outcome)).toBe('PHARMACY_NEEDS_PRESCRIPTION');
  });

  it('is accepted with a prescription (an XDM holding a CDA of a prescription type)', async () => {
    const outcome = await asCitizen(JEANNE, PHARMACY, {
      subject: 'Mon ordonnance',
      attachments: [{ filename: 'IHE_XDM.ZIP', content: prescription, contentType: 'application/zip' }],
    });
    expect(outcome.accepted).toBe(true);
    const inbox = await gateway.store.messages.list(PHARMACY, 'INBOX');
    expect(inbox.map((m) => m.subject)).toEqual(['Mon ordonnance']);
    expect(inbox[0]!.hasAttachments).toBe(true);
  });

  it('reaches a pharmacy of another operator the same way', async () => {
    const refused = await asCitizen(JEANNE, REMOTE_PHARMACY, { subject: 'Sans ordonnance' });
    expect(refusalCode(refused)).toBe('PHARMACY_NEEDS_PRESCRIPTION');
    const outcome = await asCitizen(JEANNE, REMOTE_PHARMACY, {
      subject: 'Ordonnance',
      attachments: [{ filename: 'IHE_XDM.ZIP', content: prescription }],
    });
    expect(outcome.accepted).toBe(true);
  });

  it('once the pharmacy answered, the citizen may write to it without a prescription', async () => {
    const answer = messageIdOf(await asDoctor(PHARMACY, JEANNE, { subject: 'Votre commande est prête' }));
    expect((await asCitizen(JEANNE, PHARMACY, { subject: 'Merci', inReplyTo: answer })).accepted).toBe(true);
  });
});

describe('a bounce from another operator', () => {
  it('reaches the citizen but counts as no one having written', async () => {
    const outcome = await submit(
      gateway.pipeline,
      { origin: 'mx', address: '', client: { ip: '127.0.0.1', certificate: LYON_CERTIFICATE } },
      [JEANNE],
      () => compose({ from: 'MAILER-DAEMON@mx.ch-lyon.mssante.fr', to: JEANNE, subject: 'Undelivered Mail', text: 'bounce' }),
    );
    expect(outcome.accepted).toBe(true);
    const inbox = await gateway.store.messages.list(JEANNE, 'INBOX');
    expect(inbox.find((m) => m.subject === 'Undelivered Mail')?.conversationId).toBeNull();
    expect(await gateway.store.conversations.hasWritten('', JEANNE)).toBe(false);
    expect(await gateway.store.conversations.hasWritten('mailer-daemon@mx.ch-lyon.mssante.fr', JEANNE)).toBe(false);
  });
});
