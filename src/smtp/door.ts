/**
 * The two SMTP doors, built on smtp-server: the MX for the other operators of the trust space,
 * and submission for our own professionals. A door speaks SMTP and knows nothing of the rules:
 * it hands the envelope and the body to the pipeline and says the pipeline's answer.
 */
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Login } from '../auth/login.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Refusal } from '../domain/refusals.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { MailTransaction } from '../pipeline/transaction.js';
import type { Origin } from '../pipeline/types.js';
import type { TlsMaterial } from '../tls/certificates.js';
import { peerIdentity, type PeerIdentity } from './certificate.js';
import { installSmtpExtensions } from './extensions.js';
import { TEMPORARY_FAILURE, TLS_REQUIRED, refusalReply, smtpError } from './replies.js';

export type SmtpDoorKind = 'mx' | 'submission';

export interface SmtpDoorDeps {
  kind: SmtpDoorKind;
  config: Config;
  pipeline: Pipeline;
  login: Login;
  tls: TlsMaterial;
  log: Logger;
  metrics: Metrics;
}

interface SessionState {
  peer?: PeerIdentity;
  transaction?: MailTransaction;
}

const ORIGIN: Record<SmtpDoorKind, Origin> = { mx: 'smtp-mx', submission: 'submission' };

export function createSmtpDoor(deps: SmtpDoorDeps): SMTPServer {
  installSmtpExtensions();
  const { kind, config, pipeline, login, log, metrics } = deps;
  const states = new WeakMap<SMTPServerSession, SessionState>();
  const state = (session: SMTPServerSession): SessionState => {
    let s = states.get(session);
    if (!s) states.set(session, (s = {}));
    return s;
  };
  const door = kind === 'mx' ? 'smtp' : 'submission';
  const refused = (r: Refusal) => {
    metrics.refusals.inc({ door, code: r.code });
    return refusalReply(r);
  };

  const options: SMTPServerOptions = {
    name: config.hostname,
    banner: 'mss-gateway',
    size: config.limits.maxMessageBytes,
    maxRecipients: config.limits.maxRecipients,
    key: deps.tls.key,
    cert: deps.tls.cert,
    ca: deps.tls.ca,
    minVersion: config.tls.minVersion,
    ciphers: config.tls.ciphers,
    honorCipherOrder: true,
    // Ask for a client certificate; only the MX may insist on one (trust.requireClientCert).
    requestCert: true,
    rejectUnauthorized: kind === 'mx' && config.trust.requireClientCert,
    hideENHANCEDSTATUSCODES: false, // smtp-server hides them by default; RFC 3463 codes are part of every answer here
    // The DSN extension (RFC 3461: NOTIFY, RET) is not offered, as its options are not honoured
    // yet; failures are always reported by an RFC 3464 notification.
    hideDSN: true,
    disableReverseLookup: true,
    logger: false,
    socketTimeout: 120_000,
    closeTimeout: 5_000,
    maxAllowedUnauthenticatedCommands: 20,
    ...(kind === 'mx'
      ? { authOptional: true, disabledCommands: ['AUTH'] }
      : { authMethods: ['PLAIN', 'LOGIN', 'EXTERNAL'], authOptional: false, allowInsecureAuth: false }),

    onConnect(session, callback) {
      metrics.connections.inc({ door });
      // AUTH is not even offered before STARTTLS (like Postfix's smtpd_tls_auth_only): a client
      // that sees no AUTH sends no password in the clear.
      if (kind === 'submission') session.disabledCommands = ['AUTH'];
      callback();
    },

    onClose(session) {
      metrics.connections.dec({ door });
      states.delete(session);
    },

    onSecure(socket, session, callback) {
      state(session).peer = peerIdentity(socket as TLSSocket);
      if (kind === 'submission') session.disabledCommands = undefined;
      callback();
    },

    onAuth(auth, session, callback) {
      const ip = session.remoteAddress;
      const done = (result: Awaited<ReturnType<Login['withPassword']>>) => {
        if (result.ok) return callback(null, { user: result.mailbox.address });
        if (result.reason === 'blocked') {
          return callback(smtpError(421, '4.7.0', 'Trop d\'échecs d\'authentification, réessayez plus tard / Too many failed logins, try again later'));
        }
        callback(smtpError(535, '5.7.8', 'Identifiants invalides / Authentication credentials invalid'));
      };
      const attempt =
        // EXTERNAL is our extension (extensions.ts): smtp-server's types do not list it.
        (auth.method as string) === 'EXTERNAL'
          ? externalLogin(state(session).peer, auth.username ?? '', ip)
          : login.withPassword(auth.username ?? '', auth.password ?? '', ip, 'smtp');
      attempt.then(done, (err: unknown) => {
        log.error({ err, door }, 'login failed with an error');
        callback(TEMPORARY_FAILURE());
      });
    },

    onMailFrom(address, session, callback) {
      if (!session.secure) return callback(TLS_REQUIRED());
      (async () => {
        const opened = await pipeline.open({
          origin: ORIGIN[kind],
          address: address.address.toLowerCase(),
          authenticatedAs: typeof session.user === 'string' ? session.user : undefined,
          client: { ...clientInfo(session), certificate: state(session).peer },
          envelopeId: session.envelope.dsn?.envid ?? null,
        });
        if ('code' in opened) return callback(refused(opened));
        state(session).transaction = opened;
        callback();
      })().catch((err: unknown) => {
        log.error({ err, door }, 'MAIL FROM failed with an error');
        callback(TEMPORARY_FAILURE());
      });
    },

    onRcptTo(address, session, callback) {
      const transaction = state(session).transaction;
      if (!transaction) return callback(smtpError(503, '5.5.1', 'Error: need MAIL command'));
      transaction.addRecipient(address.address).then(
        (refusal) => callback(refusal ? refused(refusal) : undefined),
        (err: unknown) => {
          log.error({ err, door }, 'RCPT TO failed with an error');
          callback(TEMPORARY_FAILURE());
        },
      );
    },

    onData(stream, session, callback) {
      const transaction = state(session).transaction;
      state(session).transaction = undefined;
      if (!transaction) {
        stream.resume();
        return stream.once('end', () => callback(smtpError(503, '5.5.1', 'Error: need MAIL command')));
      }
      transaction.receive(stream).then(
        (outcome) => {
          metrics.messages.inc({ door, outcome: outcome.accepted ? 'accepted' : 'refused' });
          if (!outcome.accepted) return callback(refused(outcome.refusal));
          callback(null, `Message accepté / Message accepted: queued as ${outcome.queueId}`);
        },
        (err: unknown) => {
          // The body may not be fully read: drain it so the session can go on.
          stream.resume();
          log.error({ err, door }, 'DATA failed with an error');
          callback(TEMPORARY_FAILURE());
        },
      );
    },
  };

  async function externalLogin(peer: PeerIdentity | undefined, requested: string, ip: string) {
    if (!peer?.authorized) return { ok: false as const, reason: 'invalid' as const };
    return login.withCertificate(peer.names, requested, ip, 'smtp');
  }

  const server = new SMTPServer(options);
  server.on('error', (err) => log.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code }, door }, 'SMTP connection error'));
  return server;
}

function clientInfo(session: SMTPServerSession) {
  const tls = session.tlsOptions ? `${session.tlsOptions.version ?? ''} ${session.tlsOptions.name}`.trim() : undefined;
  return { ip: session.remoteAddress, helo: session.hostNameAppearsAs, tls };
}
