/**
 * Setting up a mail client in one step, against the real server over HTTP: Thunderbird's
 * autoconfig document and Apple's configuration profile name our doors with the configured
 * hostname and the ports really listened on, for local professional domains only, and say
 * nothing about which mailboxes exist.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTestCertificates } from '../helpers/certs.js';
import { mssgw, sandbox, type Sandbox } from '../helpers/cli.js';
import { freePort } from '../helpers/peer-gateway.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const DOMAIN = 'hopital.mssante.fr';
const HOSTNAME = 'mail.mssgw.test';
const KNOWN = `dr.martin@${DOMAIN}`;
const UNKNOWN = `nobody.here@${DOMAIN}`;
const CITIZEN = '184127645108946@patient.mssante.fr';

interface Node {
  name: string;
  attributes: Record<string, string>;
  children: Node[];
  text: string;
}

/** A strict XML parse (saxes throws on anything not well-formed) into a small tree. */
function parseXml(xml: string): Node {
  const parser = new SaxesParser();
  const root: Node = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  parser.on('opentag', (tag) => {
    const node: Node = { name: tag.name, attributes: tag.attributes as Record<string, string>, children: [], text: '' };
    stack.at(-1)!.children.push(node);
    stack.push(node);
  });
  parser.on('text', (text) => void (stack.at(-1)!.text += text));
  parser.on('closetag', () => void stack.pop());
  parser.on('doctype', () => undefined);
  parser.write(xml).close();
  return root.children[0]!;
}

const child = (node: Node, name: string) => node.children.find((c) => c.name === name);
const all = (node: Node, name: string) => node.children.filter((c) => c.name === name);
const text = (node: Node, name: string) => child(node, name)?.text.trim();

type Plist = string | number | boolean | Buffer | Plist[] | { [key: string]: Plist };

/** Reads an XML property list (the subset profiles use) into values. */
function readPlist(node: Node): Plist {
  switch (node.name) {
    case 'plist':
      return readPlist(node.children[0]!);
    case 'dict': {
      const out: Record<string, Plist> = {};
      for (let i = 0; i < node.children.length; i += 2) out[node.children[i]!.text] = readPlist(node.children[i + 1]!);
      return out;
    }
    case 'array':
      return node.children.map(readPlist);
    case 'string':
      return node.text;
    case 'integer':
      return Number(node.text);
    case 'true':
      return true;
    case 'false':
      return false;
    case 'data':
      return Buffer.from(node.text.replace(/\s+/g, ''), 'base64');
    default:
      throw new Error(`unexpected plist element <${node.name}>`);
  }
}

const hasPython = spawnSync('python3', ['-c', 'import plistlib'], { stdio: 'ignore' }).status === 0;

describe('client set-up over HTTP (autoconfig, Apple profile)', () => {
  let box: Sandbox;
  let server: RunningServer;
  let imap: number;
  let imaps: number;
  let base: string;

  beforeAll(async () => {
    box = sandbox();
    copyTestCertificates(box.certDir);
    expect((await mssgw(box, ['domain', 'add-local', DOMAIN])).code).toBe(0);
    expect((await mssgw(box, ['mailbox', 'add-pro', KNOWN, '--type', 'PER', '--password', 'a long passphrase'])).code).toBe(0);
    expect((await mssgw(box, ['trust', 'add', 'ch-lyon.mssante.fr'])).code).toBe(0);
    // IMAP ports fixed in advance: the documents must name them whether or not the IMAP door runs.
    imap = await freePort();
    imaps = await freePort();
    server = await startServer(box, { hostname: HOSTNAME }, { imap, imaps });
    base = `http://127.0.0.1:${server.ports.http}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const imapPort = () => (server.ports as Partial<typeof server.ports>).imap ?? imap;
  const imapsPort = () => (server.ports as Partial<typeof server.ports>).imaps ?? imaps;

  it('serves Thunderbird a well-formed autoconfig naming our IMAP and SMTP submission doors', async () => {
    const res = await fetch(`${base}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(KNOWN)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    const doc = parseXml(await res.text());
    expect(doc.name).toBe('clientConfig');
    expect(doc.attributes.version).toBe('1.1');
    const provider = child(doc, 'emailProvider')!;
    expect(provider.attributes.id).toBe(DOMAIN);
    expect(all(provider, 'domain').map((d) => d.text)).toEqual([DOMAIN]);

    const servers = (name: string) =>
      all(provider, name).map((s) => ({
        type: s.attributes.type,
        hostname: text(s, 'hostname'),
        port: Number(text(s, 'port')),
        socketType: text(s, 'socketType'),
        username: text(s, 'username'),
        authentication: text(s, 'authentication'),
      }));
    const common = { hostname: HOSTNAME, username: '%EMAILADDRESS%', authentication: 'password-cleartext' };
    // Implicit TLS first (RFC 8314), then STARTTLS.
    expect(servers('incomingServer')).toEqual([
      { type: 'imap', port: imapsPort(), socketType: 'SSL', ...common },
      { type: 'imap', port: imapPort(), socketType: 'STARTTLS', ...common },
    ]);
    // The submission port is the one really bound (the config said 0: any free port).
    expect(servers('outgoingServer')).toEqual([{ type: 'smtp', port: server.ports.submission, socketType: 'STARTTLS', ...common }]);
  });

  it('gives the same document at every URL Thunderbird tries, and for an unknown mailbox as for a known one', async () => {
    // node:http rather than fetch, which will not send a Host header of our choosing.
    const get = (url: string, headers: Record<string, string> = {}) =>
      new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port: server.ports.http, path: url, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
        })
          .on('error', reject)
          .end();
      });
    const known = await get(`/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(KNOWN)}`);
    expect(known).not.toContain('dr.martin');
    // No address book leak: byte for byte the same answer, whether the mailbox exists or not.
    expect(await get(`/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(UNKNOWN)}`)).toBe(known);
    expect(await get(`/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(UNKNOWN)}`)).toBe(known);
    // Without the address (Thunderbird may withhold it), the host called names the domain.
    expect(await get('/mail/config-v1.1.xml', { host: `autoconfig.${DOMAIN}` })).toBe(known);
    expect(await get('/.well-known/autoconfig/mail/config-v1.1.xml', { host: `${DOMAIN}:8080` })).toBe(known);
    // ISPDB style, for mailnews.auto_config_url pointing at this server.
    expect(await get(`/autoconfig/v1.1/${DOMAIN}`)).toBe(known);
  });

  it('answers 404 for the citizens’ domain and for domains not hosted here, saying why in French and English', async () => {
    const citizen = await fetch(`${base}/mail/config-v1.1.xml?emailaddress=${CITIZEN}`);
    expect(citizen.status).toBe(404);
    const body = (await citizen.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('CITIZEN_WEBMAIL_ONLY');
    expect(body.error.message).toContain('usagers');
    expect(body.error.message).toContain('they have no IMAP or SMTP login');
    expect((await fetch(`${base}/autoconfig/v1.1/patient.mssante.fr`)).status).toBe(404);

    // A domain of the trust space is another operator's: its settings are not ours to give.
    for (const url of [
      `/mail/config-v1.1.xml?emailaddress=${encodeURIComponent('dr.x@ch-lyon.mssante.fr')}`,
      `/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${encodeURIComponent('someone@example.org')}`,
      `/autoconfig/v1.1/example.org`,
      `/apple/mail.mobileconfig?address=${encodeURIComponent('dr.x@ch-lyon.mssante.fr')}`,
    ]) {
      const res = await fetch(`${base}${url}`);
      expect(res.status, url).toBe(404);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code, url).toBe('DOMAIN_NOT_HOSTED');
      expect(error.message).toMatch(/hébergé ici .* \/ this domain is not a professional domain hosted here/);
    }
    const apple = await fetch(`${base}/apple/mail.mobileconfig?address=${CITIZEN}`);
    expect(apple.status).toBe(404);
    expect(((await apple.json()) as { error: { code: string } }).error.code).toBe('CITIZEN_WEBMAIL_ONLY');
  });

  it('refuses a malformed address (400) and other methods than GET (405)', async () => {
    const bad = await fetch(`${base}/mail/config-v1.1.xml?emailaddress=not-an-address`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_ADDRESS');
    const none = await fetch(`${base}/apple/mail.mobileconfig`);
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('ADDRESS_REQUIRED');
    const post = await fetch(`${base}/mail/config-v1.1.xml`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves an Apple configuration profile that parses, with the mail account and the CA to trust', async () => {
    const res = await fetch(`${base}/apple/mail.mobileconfig?address=${encodeURIComponent(KNOWN)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-apple-aspen-config/);
    expect(res.headers.get('content-disposition')).toContain('.mobileconfig');
    const xml = await res.text();
    const profile = readPlist(parseXml(xml)) as Record<string, Plist>;
    expect(profile.PayloadType).toBe('Configuration');
    expect(profile.PayloadVersion).toBe(1);
    expect(profile.PayloadUUID).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    const [mail, ca, ...rest] = profile.PayloadContent as Array<Record<string, Plist>>;
    expect(rest).toEqual([]);
    expect(mail).toMatchObject({
      PayloadType: 'com.apple.mail.managed',
      EmailAccountType: 'EmailTypeIMAP',
      EmailAddress: KNOWN,
      IncomingMailServerHostName: HOSTNAME,
      IncomingMailServerPortNumber: imapsPort(),
      IncomingMailServerUseSSL: true,
      IncomingMailServerUsername: KNOWN,
      IncomingMailServerAuthentication: 'EmailAuthPassword',
      OutgoingMailServerHostName: HOSTNAME,
      OutgoingMailServerPortNumber: server.ports.submission,
      OutgoingMailServerUseSSL: true,
      OutgoingMailServerUsername: KNOWN,
      OutgoingPasswordSameAsIncomingPassword: true,
    });
    // No password in the profile: the device asks for it.
    expect(Object.keys(mail!).some((k) => /Password$/.test(k) && k !== 'OutgoingPasswordSameAsIncomingPassword')).toBe(false);
    // The development CA, so the device trusts the servers' certificates.
    expect(ca!.PayloadType).toBe('com.apple.security.root');
    const caDer = new X509Certificate(readFileSync(path.join(box.certDir, 'ca.crt'))).raw;
    expect(Buffer.compare(ca!.PayloadContent as Buffer, caDer)).toBe(0);

    // The same profile for a mailbox that does not exist: only the address differs.
    const other = await fetch(`${base}/apple/mail.mobileconfig?address=${encodeURIComponent(UNKNOWN)}`);
    expect(other.status).toBe(200);
    const otherMail = ((readPlist(parseXml(await other.text())) as Record<string, Plist>).PayloadContent as Array<Record<string, Plist>>)[0]!;
    expect(Object.keys(otherMail)).toEqual(Object.keys(mail!));
    expect(otherMail.EmailAddress).toBe(UNKNOWN);
    expect(otherMail.IncomingMailServerPortNumber).toBe(mail!.IncomingMailServerPortNumber);
  });

  it.skipIf(!hasPython)('serves a profile that Python’s plistlib (an independent reader) loads', async () => {
    const xml = await (await fetch(`${base}/apple/mail.mobileconfig?address=${encodeURIComponent(KNOWN)}`)).text();
    const script = 'import json, plistlib, sys\np = plistlib.loads(sys.stdin.buffer.read())\nprint(json.dumps({"type": p["PayloadType"], "mail": p["PayloadContent"][0]["PayloadType"], "user": p["PayloadContent"][0]["IncomingMailServerUsername"], "ca": len(p["PayloadContent"][1]["PayloadContent"])}))';
    const out = JSON.parse(execFileSync('python3', ['-c', script], { input: xml }).toString()) as Record<string, unknown>;
    expect(out).toMatchObject({ type: 'Configuration', mail: 'com.apple.mail.managed', user: KNOWN });
    expect(out.ca).toBeGreaterThan(500);
  });
});
