/**
 * One SMTP transaction towards another operator, over nodemailer's SMTPConnection rather than a
 * transporter: the relay needs to know which host answered, to tell a refusal of one recipient
 * from a refusal of all, and to cut a session short when the gateway stops.
 *
 * Security: STARTTLS is required (never a word of the message in clear), the peer's
 * certificate must chain to our trusted CA and name the host we connected to, and we present
 * our own certificate so the peer can check us in turn.
 */
import type { Readable } from 'node:stream';
import { isIP } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { NodemailerError } from 'nodemailer/lib/errors.js';
import type { TlsMaterial } from '../tls/certificates.js';
import { isPermanent, localReply, parseReply, type Reply } from './reply.js';
import type { Hop } from './routes.js';

export interface ClientSettings {
  /** our name in EHLO */
  name: string;
  tls: TlsMaterial;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  ciphers: string;
  /** milliseconds; generous defaults suit real networks, tests may shorten them */
  connectionTimeout?: number;
  greetingTimeout?: number;
  socketTimeout?: number;
}

export interface Envelope {
  from: string;
  to: string[];
  /** announced with SIZE so a peer can refuse an oversized message before the data */
  size?: number;
}

export type RecipientOutcome = { status: 'accepted' } | { status: 'deferred' | 'refused'; reply: Reply };

export interface TransmitResult {
  /** false when the session failed before MAIL FROM (network, TLS): another MX may be tried */
  reachedPeer: boolean;
  outcomes: Map<string, RecipientOutcome>;
}

/** A reply-less failure: what went wrong locally, with the enhanced code of RFC 3463. */
function networkReply(err: NodemailerError, hop: Hop): Reply {
  const where = `${hop.host}:${hop.port}`;
  const cause = err.originalCode ?? err.code ?? 'error';
  if (err.code === 'ETLS' || /certificate|tls|ssl/i.test(`${cause} ${err.message}`)) {
    return localReply('4.7.5', `TLS with ${where} failed: ${err.message}`);
  }
  if (err.code === 'ETIMEDOUT') return localReply('4.4.2', `no answer from ${where} in time (${err.timeoutType ?? 'timeout'})`);
  return localReply('4.4.1', `cannot deliver through ${where}: ${err.message}`);
}

function outcomeOf(reply: Reply): RecipientOutcome {
  return { status: isPermanent(reply) ? 'refused' : 'deferred', reply };
}

function errorReply(err: NodemailerError, hop: Hop): Reply {
  return err.response ? parseReply(err.response) : networkReply(err, hop);
}

/** Per-recipient outcomes from the errors nodemailer attached to the recipients it saw refused. */
function refusals(errors: NodemailerError[] | undefined): Map<string, Reply> {
  const byRecipient = new Map<string, Reply>();
  for (const err of errors ?? []) {
    if (err.recipient && err.response) byRecipient.set(err.recipient.toLowerCase(), parseReply(err.response));
  }
  return byRecipient;
}

export function transmit(
  hop: Hop,
  settings: ClientSettings,
  envelope: Envelope,
  openBody: () => Readable,
  abort: AbortSignal,
): Promise<TransmitResult> {
  const interrupted: RecipientOutcome = { status: 'deferred', reply: localReply('4.3.2', 'gateway stopping, delivery interrupted') };
  if (abort.aborted) return Promise.resolve({ reachedPeer: false, outcomes: new Map(envelope.to.map((r) => [r, interrupted])) });
  const connection = new SMTPConnection({
    host: hop.host,
    port: hop.port,
    name: settings.name,
    secure: false,
    requireTLS: true,
    logger: false,
    connectionTimeout: settings.connectionTimeout ?? 30_000,
    greetingTimeout: settings.greetingTimeout ?? 30_000,
    socketTimeout: settings.socketTimeout ?? 5 * 60_000,
    tls: {
      ca: settings.tls.ca,
      cert: settings.tls.cert,
      key: settings.tls.key,
      minVersion: settings.minVersion,
      ciphers: settings.ciphers,
      rejectUnauthorized: true,
      // SNI carries a name, never an address.
      ...(isIP(hop.host) ? {} : { servername: hop.host }),
    },
  });

  return new Promise((resolve) => {
    let reachedPeer = false;
    let settled = false;
    let body: Readable | undefined;

    const finish = (outcomes: Map<string, RecipientOutcome>, polite: boolean): void => {
      if (settled) return;
      settled = true;
      abort.removeEventListener('abort', onAbort);
      body?.destroy();
      if (polite) connection.quit();
      else connection.close();
      resolve({ reachedPeer, outcomes });
    };
    const sameForAll = (outcome: RecipientOutcome): Map<string, RecipientOutcome> =>
      new Map(envelope.to.map((r) => [r, outcome]));

    // Before MAIL FROM nothing the server said is about the message: always worth a retry.
    const failed = (err: NodemailerError): void => {
      let reply = errorReply(err, hop);
      // A peer that refuses our client certificate drops the session right after the handshake,
      // without a TLS alert: say so, or the operator reads a mere network error.
      if (!reachedPeer && !err.response && err.code === 'ECONNECTION' && (connection as { secure?: boolean }).secure) {
        reply = localReply('4.7.5', `TLS with ${hop.host}:${hop.port}: the peer closed the session right after the handshake (our certificate refused?)`);
      }
      finish(sameForAll(reachedPeer ? outcomeOf(reply) : { status: 'deferred', reply }), false);
    };
    const onAbort = (): void => finish(sameForAll(interrupted), false);

    connection.on('error', failed);
    connection.once('end', () => failed(Object.assign(new Error(`connection to ${hop.host}:${hop.port} closed`), { code: 'ECONNECTION' })));
    abort.addEventListener('abort', onAbort);

    connection.connect((err) => {
      if (err) return failed(err);
      reachedPeer = true;
      body = openBody();
      connection.send(envelope, body, (sendErr, info) => {
        if (sendErr) {
          // Every recipient refused (EENVELOPE with the list), or one answer for all: the
          // sender refused at MAIL FROM, or the data refused or interrupted.
          const general = errorReply(sendErr, hop);
          const each = refusals(sendErr.rejectedErrors);
          const outcomes = new Map(
            envelope.to.map((r): [string, RecipientOutcome] => [r, outcomeOf(each.get(r.toLowerCase()) ?? general)]),
          );
          return finish(outcomes, false);
        }
        // The data was accepted: for every recipient except those refused at RCPT TO.
        const each = refusals(info.rejectedErrors);
        const rejected = new Set(info.rejected.map((r) => r.toLowerCase()));
        const outcomes = new Map(
          envelope.to.map((r): [string, RecipientOutcome] => {
            const reply = each.get(r.toLowerCase());
            if (reply) return [r, outcomeOf(reply)];
            if (rejected.has(r.toLowerCase())) return [r, { status: 'deferred', reply: localReply('4.0.0', 'refused without a reason') }];
            return [r, { status: 'accepted' }];
          }),
        );
        finish(outcomes, true);
      });
    });
  });
}
