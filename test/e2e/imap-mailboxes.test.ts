/**
 * The mailbox commands through the real server: imapflow for what a client does (LIST, CREATE,
 * RENAME, DELETE, STATUS, APPEND, COPY, MOVE, EXPUNGE, SELECT with CONDSTORE/QRESYNC), and a
 * raw TLS socket where the exact wire form matters (modified UTF-7 names, response codes,
 * VANISHED (EARLIER), a too-big literal).
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { ImapText } from '../helpers/imap-text.js';
import { COLLEAGUE, DOCTOR, PASSWORD, startWorld, type World } from '../helpers/world.js';

const LIMIT = 256 * 1024;
let world: World;
const open: Array<{ close(): Promise<unknown> }> = [];

beforeAll(async () => {
  world = await startWorld({ limits: { maxMessageBytes: LIMIT, maxAttachmentBytes: LIMIT } });
}, 60_000);

afterAll(async () => {
  for (const c of open) await c.close();
  await world?.stop();
});

async function client(user = DOCTOR, options: { qresync?: boolean } = {}): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: world.server.ports.imaps,
    secure: true,
    tls: { ca: world.ca, servername: 'localhost' },
    auth: { user, pass: PASSWORD },
    logger: false,
    qresync: options.qresync ?? false,
  });
  await c.connect();
  open.push({ close: () => c.logout().catch(() => c.close()) });
  return c;
}

/** A bare IMAP client over TLS: sends lines, collects the answer of each tag. */
/** A bare IMAPS session logged in as `user` (answers as text: helpers/imap-text.ts). */
async function login(user = DOCTOR): Promise<ImapText> {
  const raw = await ImapText.connect(world.server.ports.imaps, world.ca);
  open.push(raw);
  expect((await raw.command(`LOGIN "${user}" "${PASSWORD}"`)).tagged).toMatch(/^OK/);
  return raw;
}

const message = (subject: string, body = 'Bonjour.') =>
  Buffer.from(`From: Dr House <${DOCTOR}>\r\nTo: <${COLLEAGUE}>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@test>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0200\r\n\r\n${body}\r\n`);

/** the answer's response code, e.g. `TRYCREATE` for `NO [TRYCREATE] …` */
const code = (tagged: string) => /^\w+ \[([^\]]+)\]/.exec(tagged)?.[1];

/** appends through the raw session; returns the new UID */
async function append(raw: ImapText, folder: string, body: Buffer, flags = ''): Promise<number> {
  const tag = raw.nextTag();
  raw.write(`${tag} APPEND ${folder} (${flags}) {${body.length}}\r\n`);
  await raw.until(/^\+ .*\r\n/m);
  raw.write(Buffer.concat([body, Buffer.from('\r\n')]));
  const { tagged } = await raw.answer(tag);
  const m = /^OK \[APPENDUID (\d+) (\d+)\]/.exec(tagged);
  if (!m) throw new Error(`APPEND failed: ${tagged}`);
  return Number(m[2]);
}

/** the store of the running server, opened from this process (a second writer, as `mssgw purge` is) */
function sideStore(): Store {
  return openStore(world.box.dataDir);
}

describe('IMAP mailbox commands', () => {
  it('lists the standard folders with their special-use attributes, children and the delimiter', async () => {
    const raw = await login();
    const { untagged, tagged } = await raw.command('LIST "" "*"');
    expect(tagged).toMatch(/^OK/);
    expect(untagged).toEqual([
      '* LIST (\\HasNoChildren) "/" "INBOX"',
      '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
      '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
      '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
    ]);
    expect((await raw.command('LIST "" ""')).untagged).toEqual(['* LIST (\\Noselect) "/" ""']);
    expect((await raw.command('LIST "" "inbox"')).untagged).toEqual(['* LIST (\\HasNoChildren) "/" "INBOX"']);
    // RFC 6154: the special-use selection
    expect((await raw.command('LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)')).untagged).toEqual([
      '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
      '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
      '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
    ]);
    expect(code((await raw.command('LIST (BOGUS) "" "*"')).tagged)).toBeUndefined();
    expect((await raw.command('LIST (BOGUS) "" "*"')).tagged).toMatch(/^BAD/);

    const flow = await client();
    const listed = await flow.list();
    const byPath = new Map(listed.map((f) => [f.path, f]));
    expect([...byPath.keys()].sort()).toEqual(['Drafts', 'INBOX', 'Sent', 'Trash']);
    expect(byPath.get('Sent')!.specialUse).toBe('\\Sent');
    expect(byPath.get('Trash')!.specialUse).toBe('\\Trash');
    expect(byPath.get('INBOX')!.delimiter).toBe('/');
  });

  it('creates, renames and deletes folders with French names, in modified UTF-7 on the wire', async () => {
    const flow = await client();
    await flow.mailboxCreate('Résultats/Biologie');
    const raw = await login();
    let listing = (await raw.command('LIST "" "R*"')).untagged;
    // the parent level exists only through its child: \Noselect
    expect(listing).toEqual(['* LIST (\\Noselect \\HasChildren) "/" "R&AOk-sultats"', '* LIST (\\HasNoChildren) "/" "R&AOk-sultats/Biologie"']);
    expect((await raw.command('LIST "" "%"')).untagged).toContain('* LIST (\\Noselect \\HasChildren) "/" "R&AOk-sultats"');
    expect((await raw.command('LIST "R&AOk-sultats/" "%"')).untagged).toEqual(['* LIST (\\HasNoChildren) "/" "R&AOk-sultats/Biologie"']);
    // the extended form says \NonExistent
    expect((await raw.command('LIST () "" "R&AOk-sultats" RETURN (CHILDREN)')).untagged).toEqual([
      '* LIST (\\NonExistent \\HasChildren) "/" "R&AOk-sultats"',
    ]);
    expect((await flow.list()).map((f) => f.path)).toContain('Résultats/Biologie');

    await flow.mailboxRename('Résultats/Biologie', 'Comptes rendus/Hématologie');
    listing = (await raw.command('LIST "" "*"')).untagged;
    expect(listing).toContain('* LIST (\\HasNoChildren) "/" "Comptes rendus/H&AOk-matologie"');
    expect(listing.some((l) => l.includes('R&AOk-sultats'))).toBe(false);

    // a parent renamed takes its children; it cannot be deleted while it has them
    await flow.mailboxCreate('Ordonnances');
    await flow.mailboxCreate('Ordonnances/Reçues');
    await flow.mailboxRename('Ordonnances', 'Prescriptions');
    listing = (await raw.command('LIST "" "P*"')).untagged;
    expect(listing).toEqual(['* LIST (\\HasChildren) "/" "Prescriptions"', '* LIST (\\HasNoChildren) "/" "Prescriptions/Re&AOc-ues"']);
    const refused = await raw.command('DELETE Prescriptions');
    expect(code(refused.tagged)).toBe('HASCHILDREN');
    expect(refused.tagged).toMatch(/supprimez-les d'abord \/ .*delete them first/);
    await flow.mailboxDelete('Prescriptions/Reçues');
    await flow.mailboxDelete('Prescriptions');
    expect((await raw.command('LIST "" "P*"')).untagged).toEqual([]);

    // refusals, each with its code
    expect(code((await raw.command('CREATE INBOX')).tagged)).toBe('ALREADYEXISTS');
    expect(code((await raw.command('CREATE "Comptes rendus/H&AOk-matologie"')).tagged)).toBe('ALREADYEXISTS');
    expect(code((await raw.command('DELETE INBOX')).tagged)).toBe('CANNOT');
    expect(code((await raw.command('RENAME Sent Envoyes')).tagged)).toBe('CANNOT');
    expect(code((await raw.command('DELETE Inexistant')).tagged)).toBe('NONEXISTENT');
    expect(code((await raw.command('RENAME Inexistant Autre')).tagged)).toBe('NONEXISTENT');
    expect(code((await raw.command('RENAME Drafts Brouillons')).tagged)).toBe('CANNOT');
    expect(code((await raw.command('RENAME "Comptes rendus/H&AOk-matologie" Drafts')).tagged)).toBe('ALREADYEXISTS');
    expect(code((await raw.command('CREATE "R&AOk"')).tagged)).toBe('CANNOT');
    expect(code((await raw.command('CREATE "R&AGE-"')).tagged)).toBe('CANNOT');
    expect(code((await raw.command('CREATE "a//b"')).tagged)).toBe('LIMIT');
    expect((await raw.command('CREATE')).tagged).toMatch(/^BAD/);
    // deleting the folder this session has selected closes it
    await raw.command('CREATE Temporaire');
    await raw.command('SELECT Temporaire');
    const deleted = await raw.command('DELETE Temporaire');
    expect(deleted.untagged).toEqual([expect.stringMatching(/^\* OK \[CLOSED\] /)]);
    expect(deleted.tagged).toMatch(/^OK/);
    expect((await raw.command('EXPUNGE')).tagged).toMatch(/^BAD/);
    // a trailing delimiter is ignored (RFC 3501 §6.3.3)
    expect((await raw.command('CREATE "Archives/"')).tagged).toMatch(/^OK/);
    expect((await raw.command('LIST "" "Archives*"')).untagged).toEqual(['* LIST (\\HasNoChildren) "/" "Archives"']);
  });

  it('renames INBOX by moving its messages to the new folder and leaving INBOX empty', async () => {
    const raw = await login(COLLEAGUE);
    await append(raw, 'INBOX', message('inbox-rename-1'));
    await append(raw, 'INBOX', message('inbox-rename-2'));
    expect((await raw.command('RENAME INBOX "Ancienne bo&AO4-te"')).tagged).toMatch(/^OK/);
    expect((await raw.command('STATUS INBOX (MESSAGES)')).untagged).toEqual(['* STATUS "INBOX" (MESSAGES 0)']);
    expect((await raw.command('STATUS "Ancienne bo&AO4-te" (MESSAGES)')).untagged).toEqual(['* STATUS "Ancienne bo&AO4-te" (MESSAGES 2)']);
  });

  it('subscribes and lists subscriptions (LSUB and LIST-EXTENDED)', async () => {
    const raw = await login();
    await raw.command('CREATE "Labo/Bilans"');
    expect((await raw.command('SUBSCRIBE "Labo/Bilans"')).tagged).toMatch(/^OK/);
    expect((await raw.command('LSUB "" "*"')).untagged).toContain('* LSUB () "/" "Labo/Bilans"');
    // RFC 3501 §6.3.9: the level above, reached by %, is \Noselect
    expect((await raw.command('LSUB "" "L%"')).untagged).toEqual(['* LSUB (\\Noselect) "/" "Labo"']);
    expect((await raw.command('LIST (SUBSCRIBED) "" "Labo*"')).untagged).toEqual(['* LIST (\\HasNoChildren \\Subscribed) "/" "Labo/Bilans"']);
    expect((await raw.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "L%"')).untagged).toEqual([
      '* LIST (\\NonExistent \\HasChildren) "/" "Labo" ("CHILDINFO" ("SUBSCRIBED"))',
    ]);
    expect((await raw.command('LIST "" "Labo*" RETURN (SUBSCRIBED)')).untagged).toEqual([
      '* LIST (\\NonExistent \\HasChildren) "/" "Labo"',
      '* LIST (\\HasNoChildren \\Subscribed) "/" "Labo/Bilans"',
    ]);
    const flow = await client();
    expect((await flow.list()).find((f) => f.path === 'Labo/Bilans')?.subscribed).toBe(true);
    expect((await raw.command('UNSUBSCRIBE "Labo/Bilans"')).tagged).toMatch(/^OK/);
    expect((await raw.command('LSUB "" "Labo*"')).untagged).toEqual([]);
    expect(code((await raw.command('SUBSCRIBE Inexistant')).tagged)).toBe('NONEXISTENT');
  });

  it('answers STATUS, alone and inside LIST (LIST-STATUS)', async () => {
    const raw = await login();
    await raw.command('CREATE Statut');
    await append(raw, 'Statut', message('status-1'), '\\Seen');
    await append(raw, 'Statut', message('status-2'));
    const flow = await client();
    const status = await flow.status('Statut', { messages: true, unseen: true, uidNext: true, uidValidity: true, recent: true });
    if (!status) throw new Error('STATUS failed');
    expect(status).toMatchObject({ messages: 2, unseen: 1, uidNext: 3, recent: 2 });
    expect(Number(status.uidValidity)).toBeGreaterThan(0);
    const modseq = (await raw.command('STATUS Statut (HIGHESTMODSEQ UIDVALIDITY)')).untagged[0]!;
    expect(modseq).toMatch(new RegExp(`^\\* STATUS "Statut" \\(HIGHESTMODSEQ [1-9]\\d* UIDVALIDITY ${status.uidValidity}\\)$`));
    const size = message('status-1').length + message('status-2').length;
    expect((await raw.command('STATUS Statut (SIZE APPENDLIMIT MESSAGES)')).untagged).toEqual([
      `* STATUS "Statut" (SIZE ${size} APPENDLIMIT ${LIMIT} MESSAGES 2)`,
    ]);
    expect((await raw.command('LIST "" "Statut" RETURN (STATUS (MESSAGES UNSEEN))')).untagged).toEqual([
      '* LIST (\\HasNoChildren) "/" "Statut"',
      '* STATUS "Statut" (MESSAGES 2 UNSEEN 1)',
    ]);
    expect(code((await raw.command('STATUS Inexistant (MESSAGES)')).tagged)).toBe('NONEXISTENT');
    expect((await raw.command('STATUS Statut (BOGUS)')).tagged).toMatch(/^BAD/);
  });

  it('appends with APPENDUID, the flags and date asked, CRLF line ends and the size limit', async () => {
    const flow = await client();
    await flow.mailboxCreate('Envois');
    const date = new Date('2024-03-01T08:30:00Z');
    const appended = await flow.append('Envois', message('append-1'), ['\\Seen', '$Important'], date);
    if (!appended) throw new Error('APPEND failed');
    expect(appended).toMatchObject({ destination: 'Envois', uid: 1 });
    expect(Number(appended.uidValidity)).toBeGreaterThan(0);
    const second = await flow.append('Envois', message('append-2'));
    expect(second && second.uid).toBe(2);
    expect(await flow.status('Envois', { messages: true, unseen: true })).toMatchObject({ messages: 2, unseen: 1 });

    const store = sideStore();
    try {
      const box = (await store.mailboxes.byAddress(DOCTOR))!;
      const folder = (await store.folders.byName(box.id, 'Envois'))!;
      const [first] = await store.messages.fetch(box.id, folder.id, [1]);
      expect(first!.flags).toEqual(['\\Seen', '$Important']);
      expect(first!.internalDate.toISOString()).toBe(date.toISOString());
      expect(first!.subject).toBe('append-1');
      expect(first!.from).toBe(DOCTOR);
      const mime = await store.messages.mime(first!.blobId);
      expect(mime!.envelope.subject).toBe('append-1');
    } finally {
      await store.close();
    }

    const raw = await login();
    // bare LFs are stored as CRLF, as delivered mail is: the size counts the CRs
    const lf = Buffer.from('Subject: lf\n\nune ligne\nune autre\n');
    await append(raw, 'Envois', lf);
    expect((await raw.command('STATUS Envois (MESSAGES SIZE)')).untagged[0]).toBe(
      `* STATUS "Envois" (MESSAGES 3 SIZE ${message('append-1').length + message('append-2').length + lf.length + 4})`,
    );
    // a missing folder: TRYCREATE; a bad date: BAD
    let tag = raw.nextTag();
    raw.write(`${tag} APPEND Inexistant {5}\r\n`);
    await raw.until(/^\+ .*\r\n/m);
    raw.write('abcde\r\n');
    expect(code((await raw.answer(tag)).tagged)).toBe('TRYCREATE');
    tag = raw.nextTag();
    raw.write(`${tag} APPEND Envois "31-Feb-2024 10:00:00 +0000" {5}\r\n`);
    await raw.until(/^\+ .*\r\n/m);
    raw.write('abcde\r\n');
    expect((await raw.answer(tag)).tagged).toMatch(/^BAD/);

    // over APPENDLIMIT: refused before the client sends it
    tag = raw.nextTag();
    raw.write(`${tag} APPEND Envois {${LIMIT + 1}}\r\n`);
    const refused = await raw.answer(tag);
    expect(code(refused.tagged)).toBe('TOOBIG');
    // within the limit as sent, over it once its line ends are CRLF
    const grows = Buffer.from(`Subject: grows\n\n${'x\n'.repeat((LIMIT - 17) / 2)}`);
    expect(grows.length).toBeLessThanOrEqual(LIMIT);
    tag = raw.nextTag();
    raw.write(`${tag} APPEND Envois {${grows.length}}\r\n`);
    await raw.until(/^\+ .*\r\n/m);
    raw.write(Buffer.concat([grows, Buffer.from('\r\n')]));
    const grown = await raw.answer(tag);
    expect(code(grown.tagged)).toBe('TOOBIG');
    expect(grown.tagged).toMatch(/Message trop volumineux .* \/ message too large/);
    expect((await raw.command('STATUS Envois (MESSAGES)')).untagged[0]).toBe('* STATUS "Envois" (MESSAGES 3)');
  });

  it('selects and examines: flags, counts, first unseen, UIDs, MODSEQ, \Recent claimed once', async () => {
    const raw = await login();
    await raw.command('CREATE Selection');
    await append(raw, 'Selection', message('select-1'), '\\Seen');
    await append(raw, 'Selection', message('select-2'));
    await append(raw, 'Selection', message('select-3'));
    const validity = /UIDVALIDITY (\d+)/.exec((await raw.command('STATUS Selection (UIDVALIDITY HIGHESTMODSEQ)')).untagged[0]!)![1];
    const selected = await raw.command('SELECT Selection');
    expect(selected.tagged).toMatch(/^OK \[READ-WRITE\]/);
    const lines = selected.untagged.map((l) => l.replace(/\] .*$/, ']'));
    expect(lines).toEqual([
      '* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)',
      '* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft \\*)]',
      '* 3 EXISTS',
      '* 3 RECENT',
      '* OK [UNSEEN 2]',
      `* OK [UIDVALIDITY ${validity}]`,
      '* OK [UIDNEXT 4]',
      expect.stringMatching(/^\* OK \[HIGHESTMODSEQ [1-9]\d*\]$/),
    ]);
    // another session: the three are no longer \Recent to it (RFC 3501 §2.3.2)
    const other = await login();
    const examined = await other.command('EXAMINE Selection (CONDSTORE)');
    expect(examined.tagged).toMatch(/^OK \[READ-ONLY\]/);
    expect(examined.untagged).toContain('* 0 RECENT');
    expect(examined.untagged.some((l) => l.startsWith('* OK [PERMANENTFLAGS ()]'))).toBe(true);

    // a failed SELECT leaves nothing selected
    expect(code((await raw.command('SELECT Inexistant')).tagged)).toBe('NONEXISTENT');
    expect((await raw.command('EXPUNGE')).tagged).toMatch(/^BAD/);
    expect((await raw.command('SELECT Selection (BOGUS)')).tagged).toMatch(/^BAD/);
    expect((await raw.command('SELECT Selection (QRESYNC (1 1))')).tagged).toMatch(/^BAD/); // not ENABLEd

    const flow = await client();
    const box = await flow.mailboxOpen('Selection');
    expect(box).toMatchObject({ path: 'Selection', exists: 3, uidNext: 4, readOnly: false });
    expect(String(box.uidValidity)).toBe(validity);
    expect(box.permanentFlags?.has('\\*')).toBe(true);
    expect((await flow.mailboxOpen('Selection', { readOnly: true })).readOnly).toBe(true);
  });

  it('copies and moves with COPYUID; MOVE says the expunges before its OK', async () => {
    const flow = await client();
    await flow.mailboxCreate('Tri');
    await flow.mailboxCreate('Tri/Classé');
    for (const n of [1, 2, 3]) await flow.append('Tri', message(`tri-${n}`));
    await flow.mailboxOpen('Tri');
    const expunged: number[] = [];
    flow.on('expunge', (e: { seq: number }) => expunged.push(e.seq));
    const copied = await flow.messageCopy('1:2', 'Tri/Classé', { uid: true });
    expect(copied).toMatchObject({ destination: 'Tri/Classé' });
    expect([...(copied as { uidMap: Map<number, number> }).uidMap]).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const moved = await flow.messageMove('3', 'Tri/Classé', { uid: true });
    expect([...(moved as { uidMap: Map<number, number> }).uidMap]).toEqual([[3, 3]]);
    expect(expunged).toEqual([3]);
    expect(await flow.status('Tri', { messages: true })).toMatchObject({ messages: 2 });
    expect(await flow.status('Tri/Classé', { messages: true })).toMatchObject({ messages: 3 });

    const raw = await login();
    const validity = /UIDVALIDITY (\d+)/.exec((await raw.command('STATUS Tri (UIDVALIDITY)')).untagged[0]!)![1];
    await raw.command('SELECT "Tri/Class&AOk-"');
    const move = await raw.command('UID MOVE 1:2 Tri');
    expect(move.untagged).toEqual([expect.stringMatching(new RegExp(`^\\* OK \\[COPYUID ${validity} 1:2 4:5\\] `)), '* 2 EXPUNGE', '* 1 EXPUNGE']);
    expect(move.tagged).toMatch(/^OK/);
    const copy = await raw.command('COPY 1 Tri');
    expect(copy.tagged).toMatch(new RegExp(`^OK \\[COPYUID ${validity} 3 6\\]`));
    expect(code((await raw.command('COPY 1 Inexistant')).tagged)).toBe('TRYCREATE');
    expect(code((await raw.command('MOVE 1 Inexistant')).tagged)).toBe('TRYCREATE');
    expect((await raw.command('COPY 9 Tri')).tagged).toMatch(/^BAD/);
    // a UID set naming nothing copies nothing, and says no COPYUID
    expect((await raw.command('UID COPY 99 Tri')).tagged).toMatch(/^OK [^[]/);
    await raw.command('EXAMINE Tri');
    expect(code((await raw.command('MOVE 1 "Tri/Class&AOk-"')).tagged)).toBe('READ-ONLY');
    expect((await raw.command('COPY 1 "Tri/Class&AOk-"')).tagged).toMatch(/^OK \[COPYUID/);
  });

  it('expunges: EXPUNGE, UID EXPUNGE, CLOSE silently, UNSELECT and EXAMINE not at all', async () => {
    const raw = await login();
    await raw.command('CREATE Menage');
    await append(raw, 'Menage', message('menage-1'), '\\Deleted');
    await append(raw, 'Menage', message('menage-2'));
    await append(raw, 'Menage', message('menage-3'), '\\Deleted');
    await append(raw, 'Menage', message('menage-4'), '\\Deleted \\Seen');
    await raw.command('SELECT Menage');
    // UID EXPUNGE removes only the UIDs named (RFC 4315)
    expect(await raw.command('UID EXPUNGE 3')).toMatchObject({ untagged: ['* 3 EXPUNGE'], tagged: expect.stringMatching(/^OK/) });
    expect(await raw.command('EXPUNGE')).toMatchObject({ untagged: ['* 3 EXPUNGE', '* 1 EXPUNGE'], tagged: expect.stringMatching(/^OK/) });
    expect((await raw.command('STATUS Menage (MESSAGES)')).untagged).toEqual(['* STATUS "Menage" (MESSAGES 1)']);

    await append(raw, 'Menage', message('menage-5'), '\\Deleted');
    const examiner = await login();
    await examiner.command('EXAMINE Menage');
    expect(code((await examiner.command('EXPUNGE')).tagged)).toBe('READ-ONLY');
    expect((await examiner.command('CLOSE')).untagged).toEqual([]);
    await raw.command('UNSELECT');
    expect((await raw.command('STATUS Menage (MESSAGES)')).untagged).toEqual(['* STATUS "Menage" (MESSAGES 2)']);
    await raw.command('SELECT Menage');
    expect(await raw.command('CLOSE')).toMatchObject({ untagged: [], tagged: expect.stringMatching(/^OK/) });
    expect((await raw.command('STATUS Menage (MESSAGES)')).untagged).toEqual(['* STATUS "Menage" (MESSAGES 1)']);
    expect((await raw.command('CLOSE')).tagged).toMatch(/^BAD/);
  });

  it('resynchronises a QRESYNC client: VANISHED (EARLIER) and the flags changed since its MODSEQ', async () => {
    const raw = await login();
    await raw.command('CREATE Resync');
    for (const n of [1, 2, 3, 4, 5]) await append(raw, 'Resync', message(`resync-${n}`), n === 1 || n === 3 ? '\\Deleted' : '');
    await raw.command('SELECT Resync');
    await raw.command('UID EXPUNGE 1'); // gone before the client's MODSEQ
    expect((await raw.command('UNSELECT')).tagged).toMatch(/^OK/);
    expect((await raw.command('ENABLE QRESYNC')).untagged).toEqual(['* ENABLED QRESYNC']);
    const first = await raw.command('SELECT Resync');
    const validity = Number(/UIDVALIDITY (\d+)/.exec(first.untagged.join('\n'))![1]);
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(first.untagged.join('\n'))![1]);
    await raw.command('UNSELECT');

    // meanwhile: an expunge from another session, a flag set by another process, a new message
    const other = await login();
    await other.command('SELECT Resync');
    await other.command('EXPUNGE');
    await other.command('UNSELECT');
    const store = sideStore();
    try {
      const box = (await store.mailboxes.byAddress(DOCTOR))!;
      const folder = (await store.folders.byName(box.id, 'Resync'))!;
      await store.messages.setFlags(box.id, folder.id, [4], { op: 'add', flags: ['\\Flagged'] });
    } finally {
      await store.close();
    }
    await append(raw, 'Resync', message('resync-6'));

    const again = await raw.command(`SELECT Resync (QRESYNC (${validity} ${modseq}))`);
    expect(again.tagged).toMatch(/^OK \[READ-WRITE\]/);
    const after = again.untagged.slice(again.untagged.findIndex((l) => l.includes('HIGHESTMODSEQ')) + 1);
    // the session now numbers UIDs 2, 4, 5, 6
    expect(after).toEqual([
      '* VANISHED (EARLIER) 3',
      expect.stringMatching(/^\* 2 FETCH \(FLAGS \(\\Flagged\) UID 4 MODSEQ \(\d+\)\)$/),
      expect.stringMatching(/^\* 4 FETCH \(FLAGS \(\\Recent\) UID 6 MODSEQ \(\d+\)\)$/),
    ]);
    // known UIDs narrow VANISHED; a stale UIDVALIDITY gets a plain SELECT
    const known = await raw.command(`EXAMINE Resync (QRESYNC (${validity} ${modseq} 4:6))`);
    expect(known.untagged.some((l) => l.startsWith('* VANISHED'))).toBe(false);
    expect(known.untagged.filter((l) => l.includes('FETCH'))).toHaveLength(2);
    const stale = await raw.command(`EXAMINE Resync (QRESYNC (${validity + 1} ${modseq}))`);
    expect(stale.untagged.some((l) => l.startsWith('* VANISHED') || l.includes('FETCH'))).toBe(false);
    expect((await raw.command(`EXAMINE Resync (QRESYNC (${validity} ${modseq} 1:6))`)).untagged).toContain('* VANISHED (EARLIER) 3');

    // once retention has pruned the tombstones, every known UID that is gone is told, however long ago
    const pruner = sideStore();
    try {
      await pruner.retention.apply(new Date(Date.now() + 31 * 86_400_000), new Date(0), new Date(0));
    } finally {
      await pruner.close();
    }
    expect((await raw.command(`EXAMINE Resync (QRESYNC (${validity} ${modseq} 1:9))`)).untagged).toContain('* VANISHED (EARLIER) 1,3');
    expect((await raw.command(`EXAMINE Resync (QRESYNC (${validity} ${modseq}))`)).untagged).toContain('* VANISHED (EARLIER) 1,3');

    // imapflow resyncs the same way
    const flow = await client(DOCTOR, { qresync: true });
    const vanished: number[] = [];
    const flags: number[] = [];
    flow.on('expunge', (e: { uid?: number }) => e.uid && vanished.push(e.uid));
    flow.on('flags', (e: { uid?: number }) => e.uid && flags.push(e.uid));
    await flow.mailboxOpen('Resync', { uidValidity: BigInt(validity), changedSince: BigInt(modseq) } as never);
    expect(vanished).toEqual([1, 3]);
    expect(flags).toEqual([4, 6]);
  });

  it('keeps every folder of another mailbox out of reach', async () => {
    const colleague = await login(COLLEAGUE);
    await colleague.command('CREATE "Priv&AOk-"');
    await append(colleague, '"Priv&AOk-"', message('private'));
    const raw = await login(DOCTOR);
    expect((await raw.command('LIST "" "*"')).untagged.some((l) => l.includes('Priv'))).toBe(false);
    expect(code((await raw.command('SELECT "Priv&AOk-"')).tagged)).toBe('NONEXISTENT');
    expect(code((await raw.command('EXAMINE "Priv&AOk-"')).tagged)).toBe('NONEXISTENT');
    expect(code((await raw.command('STATUS "Priv&AOk-" (MESSAGES)')).tagged)).toBe('NONEXISTENT');
    expect(code((await raw.command('RENAME "Priv&AOk-" Vol')).tagged)).toBe('NONEXISTENT');
    expect(code((await raw.command('DELETE "Priv&AOk-"')).tagged)).toBe('NONEXISTENT');
    expect(code((await raw.command('SUBSCRIBE "Priv&AOk-"')).tagged)).toBe('NONEXISTENT');
    const tag = raw.nextTag();
    raw.write(`${tag} APPEND "Priv&AOk-" {5}\r\n`);
    await raw.until(/^\+ .*\r\n/m);
    raw.write('abcde\r\n');
    expect(code((await raw.answer(tag)).tagged)).toBe('TRYCREATE');
    await append(raw, 'INBOX', message('mine'));
    await raw.command('SELECT INBOX');
    expect(code((await raw.command('COPY 1 "Priv&AOk-"')).tagged)).toBe('TRYCREATE');
    // the colleague's folder is untouched
    expect((await colleague.command('STATUS "Priv&AOk-" (MESSAGES)')).untagged).toEqual(['* STATUS "Priv&AOk-" (MESSAGES 1)']);
  });
});
