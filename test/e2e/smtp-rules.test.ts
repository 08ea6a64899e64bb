/**
 * The trust space and the reply-only rule through the real SMTP doors (nodemailer as client),
 * each case with the exact reply of the contract.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COLLEAGUE,
  DOCTOR,
  INS,
  OTHER_OPERATOR,
  PASSWORD,
  PHARMACY,
  REMOTE_DOCTOR,
  citizen,
  startWorld,
  trySend,
  type World,
} from '../helpers/world.js';
import { mssgw, sandbox } from '../helpers/cli.js';

let world: World;
beforeAll(async () => {
  // Debug logs: the test at the end checks that even they carry no body and no password.
  const box = sandbox();
  world = await startWorld({}, { ...box, env: { ...box.env, MSS_LOG_LEVEL: 'debug' } });
});
afterAll(async () => {
  await world?.stop();
});

const mail = (from: string, to: string, extra: Record<string, unknown> = {}) => ({
  from,
  to,
  subject: 'Consultation',
  text: 'Bonjour, voici le compte rendu.',
  ...extra,
});

function inbox(address: string): Array<{ subject: string; from_address: string; conversation_id: number | null }> {
  const db = world.db();
  try {
    return db
      .prepare(
        `SELECT x.subject, x.from_address, x.conversation_id FROM messages x JOIN folders f ON f.id = x.folder_id
         JOIN mailboxes m ON m.id = f.mailbox_id WHERE m.address = ? AND f.name = 'INBOX' ORDER BY x.id`,
      )
      .all(address) as Array<{ subject: string; from_address: string; conversation_id: number | null }>;
  } finally {
    db.close();
  }
}

describe('professional → citizen (rule 2)', () => {
  it('delivers to an open citizen mailbox and records that the professional wrote', async () => {
    const result = await trySend(world.session(), mail(DOCTOR, citizen(INS.jeanne), { subject: 'Vos résultats' }));
    expect(result).toMatchObject({ ok: true });
    expect(result.response).toMatch(/^250 2\.6\.0 /);
    expect(inbox(citizen(INS.jeanne)).map((m) => m.subject)).toContain('Vos résultats');
    const db = world.db();
    expect(db.prepare('SELECT professional FROM contacts WHERE citizen = ?').all(citizen(INS.jeanne))).toEqual([{ professional: DOCTOR }]);
    expect(db.prepare('SELECT state FROM conversations WHERE citizen = ? AND professional = ?').all(citizen(INS.jeanne), DOCTOR)).toEqual([
      { state: 'open' },
    ]);
    db.close();
  });

  it.each([
    ['a citizen without a mailbox', INS.unknown],
    ['an opposed citizen', INS.opposed],
    ['a closed mailbox', INS.closed],
  ])('refuses %s with 550 5.1.1', async (_label, ins) => {
    const result = await trySend(world.session(), mail(DOCTOR, citizen(ins)));
    expect(result.ok).toBe(false);
    expect(result.response).toMatch(/^550 5\.1\.1 Destinataire inconnu .* \/ unknown recipient/);
  });

  it('refuses an address whose INS is invalid with 550 5.1.1 and says which check failed', async () => {
    const result = await trySend(world.session(), mail(DOCTOR, citizen('184127645108947')));
    expect(result.response).toMatch(/^550 5\.1\.1 .*INS.*control key does not match/);
  });
});

describe('professional → professional (rule 3)', () => {
  it('delivers locally', async () => {
    const result = await trySend(world.session(), mail(DOCTOR, COLLEAGUE, { subject: 'Avis' }));
    expect(result.ok).toBe(true);
    expect(inbox(COLLEAGUE).map((m) => m.subject)).toContain('Avis');
  });

  it('queues mail for another operator of the trust space', async () => {
    const result = await trySend(world.session(), mail(DOCTOR, REMOTE_DOCTOR, { subject: 'Relais' }));
    expect(result.ok).toBe(true);
    const db = world.db();
    expect(db.prepare("SELECT recipient, domain FROM relay_queue WHERE recipient = ?").all(REMOTE_DOCTOR)).toEqual([
      { recipient: REMOTE_DOCTOR, domain: OTHER_OPERATOR },
    ]);
    db.close();
  });

  it('refuses a domain outside the trust space with 550 5.7.1', async () => {
    const result = await trySend(world.session(), mail(DOCTOR, 'someone@gmail.com'));
    expect(result.response).toMatch(/^550 5\.7\.1 .*espace de confiance.* \/ the recipient is not in the MSSanté trust space/);
  });
});

describe('the MX door (other operators, rule 1 and 7)', () => {
  it('accepts a trusted operator writing to a citizen, and counts it as having written', async () => {
    const result = await trySend(world.mx(), mail(REMOTE_DOCTOR, citizen(INS.paul), { subject: 'De Lyon' }));
    expect(result.ok).toBe(true);
    expect(inbox(citizen(INS.paul)).map((m) => m.subject)).toContain('De Lyon');
    const db = world.db();
    expect(db.prepare('SELECT professional FROM contacts WHERE citizen = ?').all(citizen(INS.paul))).toEqual([{ professional: REMOTE_DOCTOR }]);
    db.close();
  });

  it('refuses a sender outside the trust space with 550 5.7.1', async () => {
    const result = await trySend(world.mx(), mail('spammer@example.com', citizen(INS.jeanne)));
    expect(result.ok).toBe(false);
    expect(result.response).toMatch(/^550 5\.7\.1 Envoi refusé : l'expéditeur n'appartient pas .* \/ the sender is not in the MSSanté trust space/);
  });

  it('refuses another operator speaking for one of our domains (spoofing) with 550 5.7.1', async () => {
    const result = await trySend(world.mx(), mail(DOCTOR, COLLEAGUE));
    expect(result.response).toMatch(/^550 5\.7\.1 .*authenticated mailbox/);
  });

  it('refuses a From: header in one of our domains, even with a foreign envelope', async () => {
    const result = await trySend(world.mx(), { ...mail(DOCTOR, COLLEAGUE), envelope: { from: REMOTE_DOCTOR, to: [COLLEAGUE] } });
    expect(result.response).toMatch(/^550 5\.7\.1 .*From: dr\.house@hopital\.mssante\.fr is a local address/);
  });

  it('is no open relay: refuses a recipient at another operator with 550 5.7.1', async () => {
    const result = await trySend(world.mx(), mail(REMOTE_DOCTOR, `someone@${OTHER_OPERATOR}`));
    expect(result.response).toMatch(/^550 5\.7\.1 Relais refusé/);
  });
});

describe('submission: the sender is the authenticated mailbox (rule 7)', () => {
  it('refuses another envelope sender with 550 5.7.1', async () => {
    const result = await trySend(world.session(), { ...mail(COLLEAGUE, citizen(INS.jeanne)) });
    expect(result.response).toMatch(/^550 5\.7\.1 .*dr\.wilson@hopital\.mssante\.fr is not dr\.house@hopital\.mssante\.fr/);
  });

  it('refuses another From: header with 550 5.7.1 after DATA', async () => {
    const result = await trySend(world.session(), { ...mail(COLLEAGUE, citizen(INS.jeanne)), envelope: { from: DOCTOR, to: [citizen(INS.jeanne)] } });
    expect(result.response).toMatch(/^550 5\.7\.1 .*From: dr\.wilson@hopital\.mssante\.fr is not dr\.house@hopital\.mssante\.fr/);
  });

  it('does not let a citizen log in over SMTP (their door is the webmail)', async () => {
    const result = await trySend(world.submission(citizen(INS.jeanne), PASSWORD), mail(citizen(INS.jeanne), DOCTOR));
    expect(result.response).toMatch(/^535 5\.7\.8/);
  });

  it('refuses a wrong password with 535 5.7.8', async () => {
    const result = await trySend(world.submission(PHARMACY, 'wrong password!'), mail(PHARMACY, DOCTOR));
    expect(result.response).toMatch(/^535 5\.7\.8/);
  });
});

describe('the audit trail', () => {
  it('has deliveries and refusals with who, to whom and the rule, never the content', () => {
    const db = world.db();
    const rows = db.prepare("SELECT actor, action, target, outcome, detail FROM audit WHERE action LIKE 'message.%'").all() as Array<
      Record<string, string>
    >;
    db.close();
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: DOCTOR, action: 'message.deliver', target: citizen(INS.jeanne), outcome: 'accepted' }),
        expect.objectContaining({ actor: 'spammer@example.com', action: 'message.refuse', outcome: 'SENDER_NOT_TRUSTED' }),
        expect.objectContaining({ actor: DOCTOR, action: 'message.refuse', target: citizen(INS.opposed), outcome: 'MAILBOX_UNAVAILABLE' }),
      ]),
    );
    expect(JSON.stringify(rows)).not.toContain('compte rendu');
  });
});

describe('the logs', () => {
  it('are JSON lines that carry no message body and no password, even at debug level', () => {
    const lines = world.server.logs().trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const logs = world.server.logs();
    expect(logs).toContain('recipient refused');
    expect(logs).not.toContain('compte rendu');
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain('wrong password!');
  });
});

describe('the CLI while the server runs', () => {
  it('takes effect at once: a new mailbox receives, a newly trusted operator is heard', async () => {
    const newcomer = `dr.cuddy@hopital.mssante.fr`;
    expect((await trySend(world.session(), mail(DOCTOR, newcomer))).response).toMatch(/^550 5\.1\.1 /);
    expect((await mssgw(world.box, ['mailbox', 'add-pro', newcomer, '--type', 'PER'])).code).toBe(0);
    expect((await trySend(world.session(), mail(DOCTOR, newcomer))).ok).toBe(true);

    const stranger = 'dr.strange@clinique-nord.mssante.fr';
    expect((await trySend(world.mx(), mail(stranger, COLLEAGUE))).response).toMatch(/^550 5\.7\.1 /);
    expect((await mssgw(world.box, ['trust', 'add', 'clinique-nord.mssante.fr'])).code).toBe(0);
    // Trusted now, but the peer's certificate (mx.ch-lyon…) does not speak for that domain…
    expect((await trySend(world.mx(), mail(stranger, COLLEAGUE))).response).toMatch(/^550 5\.7\.1 .*certificat/);
    // …until the operator attaches the domain to it.
    expect((await mssgw(world.box, ['trust', 'attach', 'mx.ch-lyon.mssante.fr', 'clinique-nord.mssante.fr'])).code).toBe(0);
    expect((await trySend(world.mx(), mail(stranger, COLLEAGUE))).ok).toBe(true);
  });
});

describe('metrics', () => {
  it('count messages and refusals per door and rule, without addresses', async () => {
    const text = await (await fetch(`http://127.0.0.1:${world.server.ports.http}/metrics`)).text();
    expect(text).toMatch(/mssgw_messages_total\{door="submission",outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/mssgw_refusals_total\{door="submission",code="MAILBOX_UNAVAILABLE"\} [1-9]/);
    expect(text).toMatch(/mssgw_refusals_total\{door="mx",code="SENDER_NOT_TRUSTED"\} [1-9]/);
    expect(text).not.toContain('@');
  });
});

describe('mssgw conversation close', () => {
  it('closes a conversation the way X-MSS-MES: FIN does, once', async () => {
    const db = world.db();
    const { id } = db.prepare("SELECT id FROM conversations WHERE citizen = ? AND state = 'open' LIMIT 1").get(citizen(INS.jeanne)) as {
      id: number;
    };
    db.close();
    const closed = await mssgw(world.box, ['conversation', 'close', String(id)]);
    expect(closed).toMatchObject({ code: 0 });
    expect(closed.stdout).toContain(`conversation ${id} between ${DOCTOR} and ${citizen(INS.jeanne)} closed`);
    const again = world.db();
    expect(again.prepare('SELECT state FROM conversations WHERE id = ?').get(id)).toEqual({ state: 'closed' });
    again.close();
    expect((await mssgw(world.box, ['conversation', 'close', String(id)])).stderr).toContain('already closed');
    expect((await mssgw(world.box, ['conversation', 'close', '99999'])).code).toBe(2);
    expect((await mssgw(world.box, ['conversation', 'close', 'abc'])).stderr).toContain('is not a conversation id');
  });
});
