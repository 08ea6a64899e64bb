/**
 * IMAP sessions through the real server (`mssgw serve`): TLS on both ports, who may log in,
 * the failure throttle, the protocol limits, bad input, and what one session hears of changes
 * made by SMTP, by another session and by another process. imapflow where a real client
 * shows it; raw sockets for what no library sends.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { issueCertificate } from '../../src/tls/certificates.js';
import { RawImap } from '../helpers/raw-imap.js';
import { waitFor } from '../helpers/wait.js';
import { COLLEAGUE, DOCTOR, HOSPITAL, INS, PASSWORD, PHARMACY, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function imapflow(world: World, user = DOCTOR, secure = true): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: secure ? world.server.ports.imaps : world.server.ports.imap,
    secure,
    doSTARTTLS: secure ? undefined : true,
    tls: { ca: world.ca, servername: 'localhost' } as never,
    auth: { user, pass: PASSWORD },
    logger: false,
  });
}

/** a raw IMAPS session, logged in (and with INBOX selected when asked) */
async function rawSession(world: World, options: { user?: string; select?: string } = {}): Promise<{ raw: RawImap; exists: number }> {
  const raw = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
  expect(await raw.line()).toMatch(/^\* OK /);
  const login = await raw.command('l', `LOGIN "${options.user ?? DOCTOR}" "${PASSWORD}"`);
  expect(login.at(-1)).toMatch(/^l OK /);
  let exists = 0;
  if (options.select) {
    const lines = await raw.command('s', `SELECT ${options.select}`);
    expect(lines.at(-1)).toMatch(/^s OK \[READ-WRITE\]/);
    exists = Number(/^\* (\d+) EXISTS$/m.exec(lines.join('\n'))![1]);
  }
  return { raw, exists };
}

async function deliver(world: World, subject: string, to = DOCTOR): Promise<void> {
  const sent = await trySend(world.submission(COLLEAGUE), { from: COLLEAGUE, to, subject, text: `Bonjour, ${subject}` });
  expect(sent.ok, sent.response).toBe(true);
}

describe('IMAP sessions', () => {
  let world: World;
  const open: Array<{ close(): void } | ImapFlow> = [];
  const keep = <T extends RawImap | ImapFlow>(c: T): T => (open.push(c), c);

  beforeAll(async () => {
    // One client address for every test here: only the name-and-address counter may block.
    world = await startWorld({ auth: { maxFailures: 3, clientMaxFailures: 1000 } });
  });
  afterAll(async () => {
    for (const c of open) (c instanceof ImapFlow ? c.close() : c.close());
    await world?.stop();
  });

  it('offers STARTTLS and LOGINDISABLED on the plain port, and refuses logins in clear', async () => {
    const raw = keep(await RawImap.connect({ port: world.server.ports.imap }));
    const greeting = await raw.line();
    expect(greeting).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 .*STARTTLS LOGINDISABLED\]/);
    expect(greeting).not.toMatch(/AUTH=/);
    expect((await raw.command('a', `LOGIN ${DOCTOR} "${PASSWORD}"`)).at(-1)).toMatch(/^a NO \[PRIVACYREQUIRED\] .* \/ /);
    expect((await raw.command('b', `AUTHENTICATE PLAIN ${b64(`\0${DOCTOR}\0${PASSWORD}`)}`)).at(-1)).toMatch(/^b NO \[PRIVACYREQUIRED\]/);
    // nothing was even tried: the throttle counted nothing
    expect(world.server.logs()).not.toMatch(/login\.failed.*imap/);
  });

  it('upgrades with STARTTLS, re-advertises, and drops what was pipelined after STARTTLS in clear', async () => {
    const raw = keep(await RawImap.connect({ port: world.server.ports.imap, ca: world.ca }));
    await raw.line();
    // A man in the middle appends a command after STARTTLS: it must never run under TLS.
    raw.write(`t STARTTLS\r\ninjected LOGIN ${DOCTOR} "${PASSWORD}"\r\n`);
    expect(await raw.line()).toMatch(/^t OK /);
    await raw.upgrade();
    const caps = await raw.command('c', 'CAPABILITY');
    expect(caps[0]).toMatch(/^\* CAPABILITY IMAP4rev1 /);
    expect(caps[0]).toMatch(/ AUTH=PLAIN/);
    expect(caps[0]).not.toMatch(/STARTTLS|LOGINDISABLED|AUTH=EXTERNAL/);
    for (const extension of ['UIDPLUS', 'MOVE', 'ESEARCH', 'CONDSTORE', 'QRESYNC', 'SPECIAL-USE', 'CHILDREN', 'UNSELECT', 'NAMESPACE', 'ENABLE', 'ID', 'SASL-IR']) {
      expect(caps[0]!.split(' '), extension).toContain(extension);
    }
    expect(caps[0]).toMatch(/ APPENDLIMIT=\d+/);
    expect(caps.join('\n')).not.toMatch(/injected/);
    expect((await raw.command('n', 'NAMESPACE'))[0]).toMatch(/^n BAD .*Log in first/);
    const login = await raw.command('l', `LOGIN ${DOCTOR} "${PASSWORD}"`);
    expect(login.at(-1)).toMatch(/^l OK \[CAPABILITY IMAP4rev1 [^\]]*\] /);
    expect(login.at(-1)).not.toMatch(/AUTH=/);
    expect((await raw.command('s', 'STARTTLS')).at(-1)).toMatch(/^s BAD /);
  });

  it('serves imapflow over STARTTLS and over IMAPS', async () => {
    for (const secure of [false, true]) {
      const client = keep(imapflow(world, DOCTOR, secure));
      await client.connect();
      expect(client.authenticated).toBeTruthy();
      expect(client.capabilities.has('IDLE')).toBe(true);
      expect(client.capabilities.has('LITERAL+')).toBe(true);
      expect(client.capabilities.has('STARTTLS')).toBe(false);
      expect(client.namespaces?.personal?.[0]).toMatchObject({ prefix: '', delimiter: '/' });
      expect(client.serverInfo?.name).toBe('mss-gateway');
      await client.noop();
      await client.logout();
    }
  });

  it('answers ID, ENABLE and NAMESPACE, and ENABLE only before SELECT', async () => {
    const { raw } = await rawSession(world);
    keep(raw);
    const id = await raw.command('i', 'ID ("name" "raw" "version" NIL)');
    expect(id[0]).toBe('* ID ("name" "mss-gateway" "vendor" "mss-gateway" "version" "0.1.0")');
    expect((await raw.command('i2', 'ID NIL')).at(-1)).toMatch(/^i2 OK/);
    expect((await raw.command('i3', 'ID ("odd")')).at(-1)).toMatch(/^i3 BAD/);
    const enabled = await raw.command('e', 'ENABLE QRESYNC X-UNKNOWN');
    expect(enabled[0]).toBe('* ENABLED QRESYNC');
    expect((await raw.command('e2', 'ENABLE CONDSTORE'))[0]).toBe('* ENABLED');
    expect((await raw.command('n', 'NAMESPACE'))[0]).toBe('* NAMESPACE (("" "/")) NIL NIL');
    await raw.command('s', 'SELECT INBOX');
    expect((await raw.command('e3', 'ENABLE CONDSTORE')).at(-1)).toMatch(/^e3 BAD/);
    expect((await raw.command('c', 'CHECK')).at(-1)).toMatch(/^c OK/);
    const bye = await raw.command('o', 'LOGOUT');
    expect(bye[0]).toMatch(/^\* BYE /);
    expect(bye.at(-1)).toMatch(/^o OK/);
    await raw.closed;
  });

  it('authenticates with AUTHENTICATE PLAIN, inline (SASL-IR) or after a continuation, and can be cancelled', async () => {
    const a = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    await a.line();
    expect((await a.command('a', `AUTHENTICATE PLAIN ${b64(`\0${DOCTOR}\0${PASSWORD}`)}`)).at(-1)).toMatch(/^a OK \[CAPABILITY /);

    const b = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    await b.line();
    b.write('b AUTHENTICATE PLAIN\r\n');
    expect(await b.line()).toBe('+ ');
    b.write('*\r\n');
    expect(await b.line()).toMatch(/^b BAD .*cancelled/);
    b.write('c AUTHENTICATE PLAIN\r\n');
    expect(await b.line()).toBe('+ ');
    b.write(`${b64(`${DOCTOR}\0${DOCTOR}\0${PASSWORD}`)}\r\n`);
    expect(await b.line()).toMatch(/^c OK /);

    const c = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    await c.line();
    expect((await c.command('d', 'AUTHENTICATE PLAIN !!!notbase64')).at(-1)).toMatch(/^d BAD .*base64/);
    expect((await c.command('e', 'AUTHENTICATE CRAM-MD5')).at(-1)).toMatch(/^e NO \[CANNOT\]/);
    // an authorisation identity for another mailbox is refused
    expect((await c.command('f', `AUTHENTICATE PLAIN ${b64(`${COLLEAGUE}\0${DOCTOR}\0${PASSWORD}`)}`)).at(-1)).toMatch(/^f NO \[AUTHENTICATIONFAILED\]/);
  });

  it('authenticates with AUTHENTICATE EXTERNAL from a client certificate signed by the CA', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'imap-cert-'));
    const files = issueCertificate(world.box.certDir, DOCTOR, true, out);
    const cert = readFileSync(files.cert);
    const key = readFileSync(files.key);
    const raw = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca, cert, key }));
    expect(await raw.line()).toMatch(/AUTH=EXTERNAL/);
    expect((await raw.command('x', 'AUTHENTICATE EXTERNAL =')).at(-1)).toMatch(/^x OK /);
    // a certificate names one mailbox: it cannot open another
    const other = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca, cert, key }));
    await other.line();
    expect((await other.command('y', `AUTHENTICATE EXTERNAL ${b64(PHARMACY)}`)).at(-1)).toMatch(/^y NO \[AUTHENTICATIONFAILED\]/);
    // without a certificate, EXTERNAL is not offered and fails
    const none = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    expect(await none.line()).not.toMatch(/AUTH=EXTERNAL/);
    expect((await none.command('z', 'AUTHENTICATE EXTERNAL =')).at(-1)).toMatch(/^z NO /);
  });

  it('refuses citizens with AUTHORIZATIONFAILED and wrong passwords with AUTHENTICATIONFAILED', async () => {
    const raw = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    await raw.line();
    const citizenLogin = (await raw.command('a', `LOGIN ${citizen(INS.jeanne)} "${PASSWORD}"`)).at(-1)!;
    expect(citizenLogin).toMatch(/^a NO \[AUTHORIZATIONFAILED\] .*webmail/);
    expect(citizenLogin).toMatch(/^[\x20-\x7e]+$/); // 7-bit response text
    expect((await raw.command('b', `LOGIN ${PHARMACY} wrong`)).at(-1)).toMatch(/^b NO \[AUTHENTICATIONFAILED\] .* \/ /);
    // the session goes on: the right password works
    expect((await raw.command('c', `LOGIN ${PHARMACY} "${PASSWORD}"`)).at(-1)).toMatch(/^c OK /);
    expect((await raw.command('d', `LOGIN ${PHARMACY} "${PASSWORD}"`)).at(-1)).toMatch(/^d BAD .*Already authenticated/);
  });

  it('throttles failed logins: NO [UNAVAILABLE], then BYE and the connection closes', async () => {
    const ghost = `ghost@${HOSPITAL}`;
    for (let i = 0; i < 3; i++) {
      const raw = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
      await raw.line();
      expect((await raw.command('a', `LOGIN ${ghost} wrong${i}`)).at(-1)).toMatch(/^a NO \[AUTHENTICATIONFAILED\]/);
      raw.close();
    }
    const raw = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    await raw.line();
    const answer = await raw.command('b', `LOGIN ${ghost} wrong-again`);
    expect(answer.at(-1)).toMatch(/^b NO \[UNAVAILABLE\] .*Too many failed logins, try again in \d+ (s|min)/);
    expect(await raw.line()).toMatch(/^\* BYE .*Too many failed logins/);
    await raw.closed;
    // the block is for that name from this client, not for everyone
    const fine = keep(imapflow(world, COLLEAGUE));
    await fine.connect();
    await fine.logout();
  });

  it('keeps a bad line, an over-long line and a refused literal from desynchronising the session', async () => {
    const { raw } = await rawSession(world);
    keep(raw);
    // an over-long line announcing a LITERAL+ literal: the literal's bytes are skipped, not run
    const hidden = 'h LOGOUT\r\n';
    raw.write(`a NOOP ${'x'.repeat(70 * 1024)} {${hidden.length}+}\r\n${hidden}\r\n`);
    expect(await raw.line()).toMatch(/^a BAD \[?.*Line too long/);
    expect((await raw.command('b', 'NOOP')).at(-1)).toMatch(/^b OK/);
    // a synchronising literal over APPENDLIMIT: refused before the client sends it
    raw.write('c APPEND INBOX {999999999}\r\n');
    expect(await raw.line()).toMatch(/^c NO \[TOOBIG\] .*Message too large/);
    expect((await raw.command('d', 'NOOP')).at(-1)).toMatch(/^d OK/);
    // a big literal where only small ones are allowed
    raw.write('e LOGIN {100000}\r\n');
    expect(await raw.line()).toMatch(/^e BAD \[TOOBIG\]/);
    // malformed commands, each with its reason, and the session still answers
    const bad = [
      ['f1', 'FETCH 1 (FLAGS', /Unbalanced parentheses/],
      ['f2', 'LOGIN "unterminated', /Unterminated quoted string/],
      ['f3', 'FROBNICATE', /Unknown command/],
      ['f4', 'UID NOOP', /cannot follow UID/],
      ['f5', 'FETCH 1 FLAGS', /Select a mailbox first/],
      ['f6', 'SELECT  INBOX', /extra space/],
    ] as const;
    for (const [tag, command, reason] of bad) expect((await raw.command(tag, command)).at(-1)).toMatch(reason);
    raw.write('* NOOP\r\n');
    expect(await raw.line()).toMatch(/^\* BAD .*Invalid command tag/);
    raw.write(Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a]));
    expect(await raw.line()).toMatch(/BAD/);
    expect((await raw.command('g', 'NOOP')).at(-1)).toMatch(/^g OK/);
  });

  it('survives random garbage, before and after login, and still serves everyone', async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pieces = ['(', ')', '[', ']', '"', '\\', ' ', 'FETCH', 'UID', '1:*', 'BODY[', '<0.9>', '{3}', '{2+}\r\nab', 'NIL', '*', '+', '\xff', '\0', 'SELECT', 'IDLE', 'DONE', 'AUTHENTICATE'];
    const garbage = () => {
      let line = `g${Math.floor(random() * 1000)} `;
      for (let i = 0, n = 1 + Math.floor(random() * 12); i < n; i++) line += pieces[Math.floor(random() * pieces.length)];
      return `${line}\r\n`;
    };
    for (const loggedIn of [false, true]) {
      const raw = loggedIn ? (await rawSession(world, { select: 'INBOX' })).raw : await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
      keep(raw);
      if (!loggedIn) await raw.line();
      for (let i = 0; i < 200; i++) raw.write(Buffer.from(garbage(), 'latin1'));
      // a literal or IDLE left open by the garbage is closed by these, then NOOP must answer
      raw.write('\r\nDONE\r\nzz NOOP\r\n');
      const answered = await raw.until('zz', 15_000).then(
        (lines) => lines.at(-1),
        () => 'closed',
      );
      expect(answered === 'closed' || /^zz (OK|BAD)/.test(answered!), answered).toBe(true);
    }
    const fresh = keep(imapflow(world));
    await fresh.connect();
    await fresh.mailboxOpen('INBOX');
    await fresh.logout();
  });

  it('closes the connection after a LITERAL+ literal over the limit, which cannot be skipped safely', async () => {
    const { raw } = await rawSession(world);
    keep(raw);
    raw.write('a APPEND INBOX {999999999+}\r\n');
    expect(await raw.line()).toMatch(/^a BAD \[TOOBIG\]/);
    expect(await raw.line()).toMatch(/^\* BYE /);
    await raw.closed;
  });

  it('answers pipelined commands one at a time, in order', async () => {
    const { raw } = await rawSession(world);
    keep(raw);
    raw.write('p1 NOOP\r\np2 CAPABILITY\r\np3 SELECT INBOX\r\np4 NAMESPACE\r\np5 ID NIL\r\n');
    const lines = await raw.until('p5');
    const tagged = lines.filter((l) => /^p\d /.test(l)).map((l) => l.slice(0, 5));
    expect(tagged).toEqual(['p1 OK', 'p2 OK', 'p3 OK', 'p4 OK', 'p5 OK']);
    expect(lines.findIndex((l) => l.startsWith('* CAPABILITY'))).toBeLessThan(lines.findIndex((l) => l.startsWith('p2 ')));
    expect(lines.findIndex((l) => l.startsWith('* NAMESPACE'))).toBeGreaterThan(lines.findIndex((l) => l.startsWith('p3 ')));
  });

  it('pushes an SMTP delivery, and another session’s changes, to an idling session at once', async () => {
    const { raw, exists } = await rawSession(world, { user: PHARMACY, select: 'INBOX' });
    keep(raw);
    raw.write('i IDLE\r\n');
    expect(await raw.line()).toBe('+ idling');
    await deliver(world, 'ordonnance 1', PHARMACY);
    expect(await raw.line()).toBe(`* ${exists + 1} EXISTS`);
    expect(await raw.line()).toMatch(/^\* \d+ RECENT$/);

    // another session appends, then moves the first message away
    const other = keep(imapflow(world, PHARMACY));
    await other.connect();
    await other.append('INBOX', `From: ${PHARMACY}\r\nSubject: note\r\n\r\nnote\r\n`, ['\\Seen']);
    expect(await raw.line()).toBe(`* ${exists + 2} EXISTS`);
    await raw.line(); // RECENT
    await other.mailboxOpen('INBOX');
    await other.messageMove(`${exists + 1}`, 'Trash');
    expect(await raw.line()).toBe(`* ${exists + 1} EXPUNGE`);
    await other.logout();

    raw.write('DONE\r\n');
    expect(await raw.line()).toMatch(/^i OK /);
    // the view after IDLE is what was said: the moved message is gone, the appended one is there
    expect((await raw.command('n', 'NOOP')).at(-1)).toMatch(/^n OK/);
  });

  it('shows an idling session a change made by another process', async () => {
    const { raw, exists } = await rawSession(world, { user: COLLEAGUE, select: 'INBOX' });
    keep(raw);
    expect(exists).toBe(0);
    // the delivery comes before IDLE: the NOOP tells of it
    await deliver(world, 'résultats', COLLEAGUE.replace('wilson', 'wilson'));
    await waitFor('the delivery to be seen', async () => (await raw.command(`n${Date.now()}`, 'NOOP')).some((l) => l === '* 1 EXISTS'));
    raw.write('i IDLE\r\n');
    expect(await raw.line()).toBe('+ idling');
    // this test process opens the store: a process other than the server's
    const store = openStore(world.box.dataDir);
    try {
      const box = (await store.mailboxes.byAddress(COLLEAGUE))!;
      const inbox = (await store.folders.byName(box.id, 'INBOX'))!;
      const [message] = await store.messages.list(COLLEAGUE, 'INBOX');
      await store.messages.setFlags(box.id, inbox.id, [message!.uid], { op: 'add', flags: ['\\Flagged'] });
      expect(await raw.line()).toMatch(new RegExp(`^\\* 1 FETCH \\(FLAGS \\([^)]*\\\\Flagged[^)]*\\) UID ${message!.uid}\\)$`));
      await store.messages.setFlags(box.id, inbox.id, [message!.uid], { op: 'add', flags: ['\\Deleted'] });
      await raw.line();
      await store.messages.expunge(box.id, inbox.id);
      expect(await raw.line()).toBe('* 1 EXPUNGE');
    } finally {
      await store.close();
    }
    raw.write('DONE\r\n');
    expect(await raw.line()).toMatch(/^i OK /);
  });

  it('holds another session’s expunges during FETCH, STORE and SEARCH, and says them at the next NOOP or UID command', async () => {
    for (let i = 1; i <= 4; i++) await deliver(world, `dossier ${i}`);
    const { raw, exists } = await rawSession(world, { select: 'INBOX' });
    keep(raw);
    expect(exists).toBeGreaterThanOrEqual(4);
    const other = keep(imapflow(world));
    await other.connect();
    await other.mailboxOpen('INBOX');
    const expungeOne = async (seq: number) => {
      await other.messageFlagsAdd(`${seq}`, ['\\Deleted']);
      await other.messageDelete(`${seq}`);
    };
    await expungeOne(exists);
    const numbered: Array<[string, string]> = [['f', 'FETCH 1:* (FLAGS)'], ['s', 'STORE 1 +FLAGS (\\Answered)'], ['q', 'SEARCH ALL']];
    for (const [tag, command] of numbered) {
      const lines = await raw.command(tag, command);
      expect(lines.at(-1)).toMatch(new RegExp(`^${tag} OK`));
      expect(lines.filter((l) => / EXPUNGE$/.test(l)), command).toEqual([]);
    }
    // sequence numbers stayed stable: the client still counts the expunged message
    expect((await raw.command('f2', `FETCH ${exists} (UID)`)).at(-1)).toMatch(/^f2 (OK|NO)/);
    const noop = await raw.command('n', 'NOOP');
    expect(noop).toContain(`* ${exists} EXPUNGE`);
    // a UID command may say an expunge at once
    await expungeOne(1);
    const uidFetch = await raw.command('u', 'UID FETCH 1:* (FLAGS)');
    expect(uidFetch).toContain('* 1 EXPUNGE');
    expect(uidFetch.indexOf('* 1 EXPUNGE')).toBeLessThan(uidFetch.length - 1);
    await other.logout();
  });

  it('never runs a command in a state that does not allow it', async () => {
    const raw = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    await raw.line();
    expect((await raw.command('a', 'IDLE')).at(-1)).toMatch(/^a BAD .*Log in first/);
    expect((await raw.command('b', 'NOOP')).at(-1)).toMatch(/^b OK/);
    await raw.command('l', `LOGIN ${DOCTOR} "${PASSWORD}"`);
    expect((await raw.command('c', 'CHECK')).at(-1)).toMatch(/^c BAD .*Select a mailbox first/);
    expect((await raw.command('d', 'IDLE extra')).at(-1)).toMatch(/^d BAD/);
    raw.write('e IDLE\r\n');
    expect(await raw.line()).toBe('+ idling');
    raw.write('NOT-DONE\r\n');
    expect(await raw.line()).toMatch(/^e BAD .*Expected DONE/);
  });
});

describe('IMAP caps, timers and shutdown', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ imap: { maxConnectionsPerClient: 4, maxConnectionsPerMailbox: 2, loginTimeoutSeconds: 3, writeStallSeconds: 1 } });
    // 3 s to log in, counted from the connection: room for a few scrypt checks on a loaded machine
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('logs out a client that does not log in in time', async () => {
    const raw = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
    await raw.line();
    const started = Date.now();
    expect(await raw.line(10_000)).toMatch(/^\* BYE .*Login timeout/);
    await raw.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    // a login left half-way (AUTHENTICATE waiting for its answer) does not hold the session
    const stalled = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
    await stalled.line();
    stalled.write('a AUTHENTICATE PLAIN\r\n');
    expect(await stalled.line()).toBe('+ ');
    expect(await stalled.line(10_000)).toMatch(/^\* BYE .*Login timeout/);
    await stalled.closed;
  });

  it('counts the login time from the connection: commands before login do not push it back', async () => {
    const raw = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
    await raw.line();
    // a NOOP every 300 ms, for a limit of 3 s
    let last = '';
    await waitFor(
      'the login deadline',
      async () => {
        raw.write('n NOOP\r\n');
        for (;;) {
          last = await raw.line(5000).catch(() => 'closed');
          if (last.startsWith('* BYE') || last === 'closed') return true;
          if (last.startsWith('n ')) return false;
        }
      },
      { timeoutMs: 15_000, intervalMs: 300 },
    );
    expect(last).toMatch(/^\* BYE .*Login timeout/);
    await raw.closed;
  });

  it('cuts off a client that stops reading in the middle of a FETCH', async () => {
    const { raw } = await rawSession(world);
    const line = `${'z'.repeat(998)}\r\n`;
    const big = Buffer.from(`From: <${DOCTOR}>\r\nSubject: stall\r\n\r\n${line.repeat(4000)}`);
    expect((await raw.command('c', 'CREATE Stall')).at(-1)).toMatch(/^c OK/);
    raw.write(`a APPEND Stall {${big.length}+}\r\n`);
    raw.write(Buffer.concat([big, Buffer.from('\r\n')]));
    expect((await raw.until('a')).at(-1)).toMatch(/^a OK/);
    expect((await raw.command('s', 'SELECT Stall')).at(-1)).toMatch(/^s OK/);
    raw.pause();
    // 8 × 4 MB asked, none read: the FETCH waits on the socket, which takes nothing more
    const items = Array.from({ length: 8 }, (_, i) => `BODY.PEEK[]<${i}.${big.length}>`).join(' ');
    raw.write(`f FETCH 1 (${items})\r\n`);
    await waitFor('the server to end the connection', () => /IMAP connection ended: the client has read nothing of its answers/.test(world.server.logs()), { timeoutMs: 20_000 });
    raw.resume();
    await raw.closed;
  });

  it('caps sessions per mailbox at login with NO [LIMIT], and connections per client with BYE [UNAVAILABLE]', async () => {
    const a = await rawSession(world);
    const b = await rawSession(world);
    const c = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
    await c.line();
    expect((await c.command('l', `LOGIN ${DOCTOR} "${PASSWORD}"`)).at(-1)).toMatch(/^l NO \[LIMIT\] .*at most 2/);
    // another mailbox still logs in on that connection
    expect((await c.command('m', `LOGIN ${PHARMACY} "${PASSWORD}"`)).at(-1)).toMatch(/^m OK/);
    const d = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
    await d.line();
    // a fifth connection from this address is one too many
    const e = await RawImap.connect({ port: world.server.ports.imap });
    expect(await e.line()).toMatch(/^\* BYE \[UNAVAILABLE\] .*at most 4/);
    await e.closed;
    // a place given back is free again
    a.raw.close();
    await a.raw.closed;
    const again = await waitFor('a seat to be free', async () => {
      const f = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
      const first = await f.line().catch(() => 'closed');
      if (first.startsWith('* OK')) return f;
      f.close();
      return undefined;
    });
    expect((await again.command('l', `LOGIN ${DOCTOR} "${PASSWORD}"`)).at(-1)).toMatch(/^l OK/);
    for (const r of [b.raw, c, d, again]) r.close();
  });

  it('says BYE to every session on SIGTERM and exits 0', async () => {
    await waitFor('the previous connections to be gone', async () => {
      const probe = await RawImap.connect({ port: world.server.ports.imap });
      const first = await probe.line().catch(() => 'closed');
      probe.close();
      return first.startsWith('* OK');
    });
    const idle = await rawSession(world, { select: 'INBOX' });
    idle.raw.write('i IDLE\r\n');
    expect(await idle.raw.line()).toBe('+ idling');
    const plain = await RawImap.connect({ port: world.server.ports.imap });
    await plain.line();
    const code = await world.server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(await idle.raw.line()).toMatch(/^\* BYE .*Server shutting down/);
    expect(await plain.line()).toMatch(/^\* BYE .*Server shutting down/);
    await Promise.all([idle.raw.closed, plain.closed]);
  });
});
