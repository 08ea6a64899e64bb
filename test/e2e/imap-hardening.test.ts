/**
 * IMAP against clients that misbehave or push the limits, through the real server: a client
 * that asks without reading, pipelined APPENDs of large messages, FETCH, LIST and SEARCH
 * programs built to cost, LOGIN and a large literal in one write; and what RFCs require that is
 * easy to miss (\Recent to one session only, UID in CONDSTORE answers, folders outside the BMP).
 * Memory held per connection is read from the server's own gauge (mssgw_imap_buffered_bytes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapText } from '../helpers/imap-text.js';
import { RawImap } from '../helpers/raw-imap.js';
import { waitFor } from '../helpers/wait.js';
import { COLLEAGUE, DOCTOR, PASSWORD, startWorld, trySend, type World } from '../helpers/world.js';

const MiB = 1024 * 1024;
/** limits.maxMessageBytes here: the input budget of a connection is twice it */
const APPEND_LIMIT = MiB;

let world: World;
const open: Array<{ close(): unknown }> = [];
const keep = <T extends { close(): unknown }>(c: T): T => (open.push(c), c);

beforeAll(async () => {
  world = await startWorld({ limits: { maxMessageBytes: APPEND_LIMIT } });
});
afterAll(async () => {
  for (const c of open) await c.close();
  await world?.stop();
});

/** what the server's IMAP connections hold now: commands waiting (in), answers waiting (out) */
async function buffered(): Promise<{ in: number; out: number }> {
  const text = await (await fetch(`http://127.0.0.1:${world.server.ports.http}/metrics`)).text();
  const value = (direction: string) => {
    const m = new RegExp(`^mssgw_imap_buffered_bytes\\{direction="${direction}"\\} (\\d+)`, 'm').exec(text);
    if (!m) throw new Error(`no mssgw_imap_buffered_bytes{direction="${direction}"} in /metrics`);
    return Number(m[1]);
  };
  return { in: value('in'), out: value('out') };
}

async function rawLogin(): Promise<RawImap> {
  const raw = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
  expect(await raw.line()).toMatch(/^\* OK /);
  expect((await raw.command('l', `LOGIN "${DOCTOR}" "${PASSWORD}"`)).at(-1)).toMatch(/^l OK /);
  return raw;
}

async function textLogin(): Promise<ImapText> {
  const raw = keep(await ImapText.connect(world.server.ports.imaps, world.ca));
  expect((await raw.command(`LOGIN "${DOCTOR}" "${PASSWORD}"`)).tagged).toMatch(/^OK/);
  return raw;
}

const message = (subject: string, body = 'Bonjour.') =>
  Buffer.from(`From: Dr House <${DOCTOR}>\r\nTo: <${COLLEAGUE}>\r\nSubject: ${subject}\r\nDate: Mon, 2 Jun 2025 10:00:00 +0200\r\n\r\n${body}\r\n`);

/** a message of about `size` bytes */
function sized(subject: string, size: number): Buffer {
  const head = message(subject, '');
  const line = `${'y'.repeat(998)}\r\n`;
  return Buffer.concat([head, Buffer.from(line.repeat(Math.ceil((size - head.length) / line.length)))]);
}

/**
 * Polls the gauge until nothing moves any more: neither what the server holds nor what the
 * client could not send (the server reads no more, or has read everything). The highest values seen.
 */
async function settle(raw: RawImap): Promise<{ in: number; out: number }> {
  const most = { in: 0, out: 0 };
  let last = '';
  let still = 0;
  await waitFor(
    'the server to stop reading',
    async () => {
      const now = await buffered();
      most.in = Math.max(most.in, now.in);
      most.out = Math.max(most.out, now.out);
      const seen = `${now.in} ${now.out} ${raw.unsent}`;
      still = seen === last ? still + 1 : 0;
      last = seen;
      return still >= 5;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  return most;
}

describe('a client that asks without reading', () => {
  it('holds the next command once 256 KiB of answers wait, and stops reading the socket meanwhile (no login needed)', async () => {
    const raw = keep(await RawImap.connect({ port: world.server.ports.imap }));
    await raw.line();
    raw.pause();
    // ~20 bytes of answer for each byte asked: a client that never reads would make hundreds of MB
    const chunk = Buffer.from('a CAPABILITY\r\n'.repeat(4096));
    let written = 0;
    let polled = 0;
    let most = 0;
    while (written < 24 * MiB) {
      const flowing = raw.write(chunk);
      written += chunk.length;
      // the socket takes no more: the server has stopped reading
      if (!flowing && !(await raw.drained(1000))) break;
      if (written - polled >= MiB) {
        polled = written;
        most = Math.max(most, (await buffered()).out);
      }
    }
    most = Math.max(most, (await settle(raw)).out);
    expect(most).toBeLessThanOrEqual(512 * 1024);
    raw.close();
  });

  it('counts queued commands in bytes: pipelined APPENDs of large messages stop the reading at twice APPENDLIMIT', async () => {
    const raw = await rawLogin();
    // A message with a 600 KB header: 40 HEADER.FIELDS.NOT of it are 24 MB of answer built in
    // memory, which a client that does not read leaves queued, the FETCH waiting on the socket.
    const pad = Array.from({ length: 600 }, (_, i) => `X-Pad-${i}: ${'x'.repeat(1000)}`).join('\r\n');
    const big = Buffer.from(`From: <${DOCTOR}>\r\nSubject: big header\r\n${pad}\r\n\r\nbody\r\n`);
    expect((await raw.command('c', 'CREATE Budget')).at(-1)).toMatch(/^c OK/);
    raw.write(`a APPEND Budget {${big.length}+}\r\n`);
    raw.write(Buffer.concat([big, Buffer.from('\r\n')]));
    expect((await raw.until('a')).at(-1)).toMatch(/^a OK \[APPENDUID/);
    expect((await raw.command('s', 'SELECT Budget')).at(-1)).toMatch(/^s OK/);
    raw.pause();
    const sections = Array.from({ length: 40 }, (_, i) => `BODY.PEEK[HEADER.FIELDS.NOT (A${i})]`).join(' ');
    raw.write(`f FETCH 1 (${sections})\r\n`);
    const body = sized('pipelined', 700 * 1024);
    for (let i = 0; i < 12; i++) raw.write(Buffer.concat([Buffer.from(`p${i} APPEND Budget {${body.length}+}\r\n`), body, Buffer.from('\r\n')]));
    const most = await settle(raw);
    // 8.4 MB sent: two APPENDs' worth (2 MiB) queued, the one that crossed it, and the literal
    // being read; the rest waits in the kernel's buffers and the client's
    expect(most.in, JSON.stringify(most)).toBeLessThanOrEqual(4 * MiB);
    raw.close();
  });
});

describe('commands built to cost', () => {
  it('refuses a FETCH of more than 64 body sections, with the reason', async () => {
    const raw = await textLogin();
    await raw.command('CREATE Sections');
    await raw.command('APPEND Sections ', message('sections'));
    await raw.command('SELECT Sections');
    const many = Array.from({ length: 65 }, (_, i) => `BODY.PEEK[HEADER.FIELDS (X-${i})]`).join(' ');
    expect((await raw.command(`FETCH 1 (${many})`)).tagged).toMatch(/^BAD .* \/ Too many body sections in one FETCH \(65, at most 64\)/);
    const enough = Array.from({ length: 64 }, (_, i) => `BODY.PEEK[HEADER.FIELDS (Subject X-${i})]`).join(' ');
    const fetched = await raw.command(`FETCH 1 (${enough})`);
    expect(fetched.tagged).toMatch(/^OK/);
    expect(fetched.text.match(/Subject: sections/g)).toHaveLength(64);
  });

  it('collapses runs of wildcards in LIST, and refuses a pattern over 1 KiB', async () => {
    const raw = await textLogin();
    await raw.command('CREATE Motifs/abc');
    const listed = await raw.command(`LIST "" "${'*'.repeat(1000)}c"`);
    expect(listed.tagged).toMatch(/^OK/);
    expect(listed.untagged).toContain('* LIST (\\HasNoChildren) "/" "Motifs/abc"');
    expect((await raw.command(`LIST "" "%%%*%%/%%%"`)).untagged).toContain('* LIST (\\HasNoChildren) "/" "Motifs/abc"');
    expect((await raw.command(`LIST "" "${'*'.repeat(60_000)}c"`)).tagged).toMatch(/^BAD .* \/ Pattern too long \(at most 1024 characters/);
  });

  it('refuses a SEARCH of more than 1,000 keys or a set of more than 1,000 ranges', async () => {
    const raw = await textLogin();
    await raw.command('SELECT INBOX');
    expect((await raw.command(`SEARCH ${'SEEN '.repeat(1001)}`)).tagged).toMatch(/^BAD .* \/ too many search keys \(at most 1000\)/);
    const set = Array.from({ length: 1001 }, (_, i) => 2 * i + 1).join(',');
    expect((await raw.command(`UID SEARCH UID ${set}`)).tagged).toMatch(/^BAD .* \/ sequence set in too many pieces \(1001 ranges, at most 1000\)/);
    expect((await raw.command(`SEARCH ${'SEEN '.repeat(999)}`)).tagged).toMatch(/^OK/);
  });
});

describe('what the RFCs require', () => {
  it('gives \\Recent to one session only (RFC 3501 §2.3.2)', async () => {
    const a = await textLogin();
    const b = await textLogin();
    const exists = (answer: { untagged: string[] }) => Number(answer.untagged.map((l) => /^\* (\d+) EXISTS$/.exec(l)?.[1]).find(Boolean) ?? NaN);
    const before = exists(await a.command('SELECT INBOX'));
    expect(exists(await b.command('SELECT INBOX'))).toBe(before);
    const sent = await trySend(world.submission(COLLEAGUE), { from: COLLEAGUE, to: DOCTOR, subject: 'recent', text: 'Bonjour.' });
    expect(sent.ok, sent.response).toBe(true);
    const recent: number[] = [];
    for (const session of [a, b]) {
      const told = await waitFor('the delivery to be told', async () => {
        const answer = await session.command('NOOP');
        return answer.untagged.includes(`* ${before + 1} EXISTS`) ? answer : undefined;
      });
      recent.push(Number(told.untagged.map((l) => /^\* (\d+) RECENT$/.exec(l)?.[1]).find((n) => n !== undefined)));
    }
    // one session won the new message, the other did not
    expect(recent.sort()).toEqual([0, 1]);
    const flags = await Promise.all([a, b].map(async (s) => (await s.command(`FETCH ${before + 1} FLAGS`)).untagged[0]!));
    expect(flags.filter((f) => f.includes('\\Recent'))).toHaveLength(1);
  });

  it('puts UID and MODSEQ in every FETCH a STORE or a \\Seen-setting FETCH causes under CONDSTORE (RFC 7162 §3.1)', async () => {
    const raw = await textLogin();
    await raw.command('CREATE Cond');
    await raw.command('APPEND Cond ', message('cond-1'));
    await raw.command('APPEND Cond ', message('cond-2'));
    expect((await raw.command('SELECT Cond (CONDSTORE)')).tagged).toMatch(/^OK/);
    const stored = await raw.command('STORE 1 +FLAGS (\\Flagged)');
    expect(stored.untagged).toEqual([expect.stringMatching(/^\* 1 FETCH \(FLAGS \(\\Flagged \\Recent\) UID 1 MODSEQ \(\d+\)\)$/)]);
    const read = await raw.command('FETCH 2 BODY[TEXT]');
    expect(read.untagged.at(-1)).toMatch(/ FLAGS \(\\Seen \\Recent\) UID 2 MODSEQ \(\d+\)\)$/);
    // a FETCH that sets nothing is answered as asked (the rule's own exception)
    expect((await raw.command('FETCH 1 FLAGS')).untagged).toEqual(['* 1 FETCH (FLAGS (\\Flagged \\Recent))']);
  });

  it('keeps the children of a folder named outside the BMP (an emoji)', async () => {
    const raw = await textLogin();
    // &2D3cwQ- is U+1F4C1 (📁): one character to SQLite, two UTF-16 units to JavaScript
    expect((await raw.command('CREATE "&2D3cwQ-"')).tagged).toMatch(/^OK/);
    expect((await raw.command('CREATE "&2D3cwQ-/a"')).tagged).toMatch(/^OK/);
    expect((await raw.command('DELETE "&2D3cwQ-"')).tagged).toMatch(/^NO \[HASCHILDREN\]/);
    expect((await raw.command('RENAME "&2D3cwQ-" Classeur')).tagged).toMatch(/^OK/);
    const listed = await raw.command('LIST "" "*"');
    expect(listed.untagged).toContain('* LIST (\\HasNoChildren) "/" "Classeur/a"');
    expect(listed.untagged.some((l) => l.includes('&2D3cwQ-'))).toBe(false);
  });
});

describe('LOGIN and a large literal in one write', () => {
  it('decides the literal limit once the LOGIN ahead of it has run, LITERAL+ or synchronising', async () => {
    const raw = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    await raw.line();
    const body = sized('pipelined after login', 50_000);
    raw.write(Buffer.concat([Buffer.from(`l LOGIN "${DOCTOR}" "${PASSWORD}"\r\na APPEND Drafts {${body.length}+}\r\n`), body, Buffer.from('\r\n')]));
    expect((await raw.until('l')).at(-1)).toMatch(/^l OK /);
    expect((await raw.until('a')).at(-1)).toMatch(/^a OK \[APPENDUID /);

    const sync = keep(await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca }));
    await sync.line();
    sync.write(`l LOGIN "${DOCTOR}" "${PASSWORD}"\r\nb APPEND Drafts {${body.length}}\r\n`);
    expect((await sync.until('l')).at(-1)).toMatch(/^l OK /);
    expect(await sync.line()).toMatch(/^\+ /);
    sync.write(Buffer.concat([body, Buffer.from('\r\n')]));
    expect((await sync.until('b')).at(-1)).toMatch(/^b OK \[APPENDUID /);
  });
});
