/**
 * Two operators of the trust space on loopback, each a real `mssgw serve` process, exchanging
 * mail through the relay over mutual TLS: gateway A (hopital.mssante.fr) relays to gateway B
 * (ch-lyon.mssante.fr), whose MX demands a client certificate signed by the shared development
 * CA and naming a trusted domain. A third gateway C, with a certificate from another CA, is
 * never let in. Every wait polls the databases for a state, never sleeps for a duration.
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer, { type Mail } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_CERT, initCertificates } from '../../src/tls/certificates.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import {
  createOwnCa,
  folder,
  freePort,
  headerValues,
  lastRelayId,
  provisionGateway,
  readBlob,
  relayRows,
  shareCa,
  type RelayRow,
} from '../helpers/peer-gateway.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { DOCTOR, HOSPITAL, OTHER_OPERATOR, PASSWORD, REMOTE_DOCTOR, trySend } from '../helpers/world.js';

const A_HOST = `mx.${HOSPITAL}`;
const B_HOST = `mx.${OTHER_OPERATOR}`;
/** C claims A's domain and name, with a certificate from a CA nobody in the trust space knows. */
const C_HOST = A_HOST;
const IMPOSTOR = `dr.imposteur@${HOSPITAL}`;
const NOBODY = `nobody@${OTHER_OPERATOR}`;

interface Gw {
  box: Sandbox;
  server: RunningServer;
  config: Record<string, unknown>;
}

let a: Gw;
let b: Gw;
let c: Gw | undefined;
let bPort: number;
const transports: Mail[] = [];

const relayConfig = (hostname: string) => ({
  hostname,
  relay: { routes: { [OTHER_OPERATOR]: `127.0.0.1:${bPort}` }, firstRetrySeconds: 1, maxRetrySeconds: 2 },
});

function submission(gw: Gw, hostname: string, user: string): Mail {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: gw.server.ports.submission,
    secure: false,
    requireTLS: true,
    auth: { user, pass: PASSWORD },
    tls: { ca: readFileSync(path.join(gw.box.certDir, CA_CERT)), servername: hostname },
  });
  transports.push(transport);
  return transport;
}

beforeAll(async () => {
  // One development CA for the trust space: made in A's folder, copied to B's before B's
  // server certificate is signed with it.
  const boxA = sandbox();
  const boxB = sandbox();
  initCertificates(boxA.certDir, A_HOST, '127.0.0.1');
  shareCa(boxA.certDir, boxB.certDir);
  initCertificates(boxB.certDir, B_HOST, '127.0.0.1');

  await provisionGateway(boxA, {
    local: [HOSPITAL],
    trusted: [OTHER_OPERATOR],
    pros: [{ address: DOCTOR, name: 'Dr House', password: PASSWORD }],
  });
  await provisionGateway(boxB, { local: [OTHER_OPERATOR], trusted: [HOSPITAL], pros: [{ address: REMOTE_DOCTOR, name: 'Dr Who' }] });

  // B's MX port must be known before A starts (A's route), and stay B's across a restart.
  bPort = await freePort();
  const configB = { hostname: B_HOST, trust: { requireClientCert: true } };
  b = { box: boxB, config: configB, server: await startServer(boxB, configB, { smtp: bPort }) };
  const configA = relayConfig(A_HOST);
  a = { box: boxA, config: configA, server: await startServer(boxA, configA) };
});

afterAll(async () => {
  for (const t of transports) t.close();
  await Promise.all([a?.server.stop(), b?.server.stop(), c?.server.stop()]);
  for (const gw of [a, b, c]) if (gw) rmSync(gw.box.dir, { recursive: true, force: true });
});

const mail = (from: string, to: string, subject: string, text = 'Bonjour, voici le compte rendu du patient.') => ({
  from,
  to,
  subject,
  text,
});

/** The relay row created for `recipient` after `since`, once it satisfies `done`. */
function waitForRow(gw: Gw, recipient: string, since: number, what: string, done: (row: RelayRow) => boolean): Promise<RelayRow> {
  const row = () => relayRows(gw.box.dataDir, recipient).find((r) => r.id > since);
  return waitFor(what, () => {
    const r = row();
    return r && done(r) ? r : undefined;
  }, { lastSeen: row });
}

function bInbox(subject: string) {
  return folder(b.box.dataDir, REMOTE_DOCTOR).filter((m) => m.subject === subject);
}

describe('relay between two gateways over mutual TLS', () => {
  it('delivers a submitted message into the other operator’s mailbox, with both Received headers', async () => {
    const since = lastRelayId(a.box.dataDir);
    const subject = 'Avis cardiologique (relais A→B)';
    const sent = await trySend(submission(a, A_HOST, DOCTOR), mail(DOCTOR, REMOTE_DOCTOR, subject));
    expect(sent.ok, sent.response).toBe(true);
    expect(sent.response).toMatch(/^250 /);

    const row = await waitForRow(a, REMOTE_DOCTOR, since, 'the relay row to be delivered', (r) => r.state !== 'pending');
    expect(row).toMatchObject({ state: 'delivered', sender: DOCTOR, recipient: REMOTE_DOCTOR, attempts: 1 });

    const [delivered] = await waitFor('the message in B’s INBOX', () => bInbox(subject).length > 0 && bInbox(subject));
    expect(bInbox(subject)).toHaveLength(1);
    expect(delivered!.from_address).toBe(DOCTOR);

    const raw = readBlob(b.box.dataDir, delivered!.blob_id);
    const received = headerValues(raw, 'Received');
    // Newest first: B's own, for the relay session from A (TLS, no AUTH), then A's, for the
    // authenticated submission from the doctor's client.
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(received[0]).toMatch(new RegExp(`^from ${A_HOST.replace(/\./g, '\\.')} \\(\\[[^\\]]+\\]\\) by ${B_HOST.replace(/\./g, '\\.')} \\(mss-gateway\\) with ESMTPS `));
    expect(received[0]).toContain(`for <${REMOTE_DOCTOR}>`);
    expect(received[0]).toMatch(/\(using TLSv1\.[23] /);
    expect(received[1]).toMatch(new RegExp(`by ${A_HOST.replace(/\./g, '\\.')} \\(mss-gateway\\) with ESMTPSA `));
    expect(received[1]).toContain(`for <${REMOTE_DOCTOR}>`);

    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(subject);
    expect(parsed.text).toContain('voici le compte rendu');
  });

  it('retries after the peer was down, and delivers once it is back', async () => {
    await b.server.stop();
    const since = lastRelayId(a.box.dataDir);
    const subject = 'Relance après panne (relais A→B)';
    const sent = await trySend(submission(a, A_HOST, DOCTOR), mail(DOCTOR, REMOTE_DOCTOR, subject));
    expect(sent.ok, sent.response).toBe(true);

    const deferred = await waitForRow(a, REMOTE_DOCTOR, since, 'a failed attempt while B is down', (r) => r.attempts >= 1);
    expect(deferred.state).toBe('pending');
    expect(deferred.last_error).toMatch(/^4\.4\.1 .*127\.0\.0\.1:\d+.*ECONNREFUSED/);

    // B comes back on the same port, with the same data.
    b.server = await startServer(b.box, b.config, { smtp: bPort });
    const row = await waitForRow(a, REMOTE_DOCTOR, since, 'the row to be delivered after B restarted', (r) => r.state !== 'pending');
    expect(row.state).toBe('delivered');
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    await waitFor('the message in B’s INBOX', () => bInbox(subject).length > 0);
    expect(bInbox(subject)).toHaveLength(1);
  });

  it('after a permanent refusal by the peer, marks the row failed and sends the sender a DSN', async () => {
    const since = lastRelayId(a.box.dataDir);
    const subject = 'Pour un confrère inconnu';
    const secret = 'Glomérulonéphrite-confidentielle';
    const sent = await trySend(submission(a, A_HOST, DOCTOR), mail(DOCTOR, NOBODY, subject, `Le patient présente une ${secret}.`));
    expect(sent.ok, sent.response).toBe(true);

    const row = await waitForRow(a, NOBODY, since, 'the row refused by B', (r) => r.state !== 'pending');
    expect(row.state).toBe('failed');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/^550 5\.1\.1 /);

    const dsn = await waitFor('the DSN in the doctor’s INBOX', () =>
      folder(a.box.dataDir, DOCTOR).find((m) => m.from_address === `mailer-daemon@${A_HOST}` && (m.subject ?? '').includes(subject)),
    );
    const raw = readBlob(a.box.dataDir, dsn.blob_id);
    const text = raw.toString('utf8');
    expect(headerValues(raw, 'Content-Type')[0]).toMatch(/^multipart\/report; report-type=delivery-status; boundary=/);
    expect(text).toMatch(/^Action: failed\r$/m);
    expect(text).toMatch(/^Status: 5\.1\.1\r$/m);
    expect(text).toMatch(/^Final-Recipient: rfc822; nobody@ch-lyon\.mssante\.fr\r$/m);
    expect(text).toMatch(/^Reporting-MTA: dns; mx\.hopital\.mssante\.fr\r$/m);
    expect(text).toMatch(/^Diagnostic-Code: smtp; 550 5\.1\.1 /m);
    // The original's headers come back, never its body (it may hold health data).
    expect(text).toContain(`To: ${NOBODY}\r\n`);
    expect(text).toMatch(new RegExp(`^\\tby ${A_HOST.replace(/\\./g, '\\\\.')} \\(mss-gateway\\) with ESMTPSA `, 'm'));
    expect(text).not.toContain(secret);

    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(`Non remis / Undelivered: ${subject}`);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : undefined).toBe(DOCTOR);
    expect(parsed.text).toContain(NOBODY);
    // Nothing at all reached B for that address, and no DSN about the DSN.
    expect(relayRows(a.box.dataDir).filter((r) => r.id > since)).toHaveLength(1);
  });

  it('never lets in a gateway whose certificate is not signed by the trust space’s CA', async () => {
    // C: A's domain and host name, a CA of its own (another name, another key) that signs its
    // server certificate. C trusts the shared CA as well, so it accepts B's certificate: what
    // stops it is B checking C's client certificate.
    const boxC = sandbox();
    createOwnCa(boxC.certDir, 'Autorité hors espace de confiance');
    initCertificates(boxC.certDir, C_HOST, '127.0.0.1');
    appendFileSync(path.join(boxC.certDir, CA_CERT), readFileSync(path.join(a.box.certDir, CA_CERT)));
    await provisionGateway(boxC, {
      local: [HOSPITAL],
      trusted: [OTHER_OPERATOR],
      pros: [{ address: IMPOSTOR, name: 'Dr Imposteur', password: PASSWORD }],
    });
    const configC = relayConfig(C_HOST);
    c = { box: boxC, config: configC, server: await startServer(boxC, configC) };

    const subject = 'Message d’une passerelle hors IGC';
    const sent = await trySend(submission(c, C_HOST, IMPOSTOR), mail(IMPOSTOR, REMOTE_DOCTOR, subject));
    expect(sent.ok, sent.response).toBe(true);

    // Several attempts, each stopped at the TLS handshake: the row stays pending, retried.
    const row = await waitForRow(c, REMOTE_DOCTOR, 0, 'two refused attempts from C', (r) => r.attempts >= 2 || r.state !== 'pending');
    expect(row.state).toBe('pending');
    // B drops the session once the handshake shows C's certificate does not chain to the
    // trusted CA, before any SMTP command: C sees a closed connection, a temporary failure.
    expect(row.last_error).toMatch(/^4\.(4\.1|7\.5) .*127\.0\.0\.1:\d+/);
    const certificateRefusals = () =>
      b.server
        .logs()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; door?: string; err?: { message?: string } })
        .filter((e) => e.msg === 'SMTP connection error' && e.door === 'mx' && /certificate/i.test(e.err?.message ?? ''));
    await waitFor('B to log the refused client certificate', () => certificateRefusals().length > 0, {
      lastSeen: () => b.server.logs().slice(-2000),
    });

    // Nothing reached B's mailbox.
    expect(bInbox(subject)).toHaveLength(0);
    expect(folder(b.box.dataDir, REMOTE_DOCTOR).some((m) => m.from_address === IMPOSTOR)).toBe(false);
  });
});
