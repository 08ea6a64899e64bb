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
import { serverTlsOptions, type TlsMaterial } from '../tls/certificates.js';
import { peerIdentity, type PeerIdentity } from '../tls/peer-identity.js';
import { ConnectionLimits } from '../net/connection-limits.js';
import { installSmtpExtensions, setDeadlines } from './extensions.js';
import { RCPT_PARAMETERS, mailParameters, unsupportedParameter } from './parameters.js';
import {
  AUTH_REQUIRED,
  NEED_MAIL,
  TEMPORARY_FAILURE,
  TLS_REQUIRED,
  TOO_MANY_CONNECTIONS,
  UNSUPPORTED_PARAMETER,
  refusalReply,
  smtpError,
} from './replies.js';

/** The SMTP doors, named as everywhere else (origin, logs, metrics); the MX listens on the contract's `smtp` port. */
export type SmtpDoorKind = Extract<Origin, 'mx' | 'submission'>;

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
  /** the client address the session holds a place for under the connection caps */
  admitted?: string;
}

/** Commands smtp-server knows that no door here offers (sendmail jokes, proxy commands). */
const UNOFFERED = ['WIZ', 'SHELL', 'KILL', 'XCLIENT', 'XFORWARD'];

export function createSmtpDoor(deps: SmtpDoorDeps): SMTPServer {
  installSmtpExtensions();
  const { kind, config, pipeline, login, log, metrics } = deps;
  const states = new WeakMap<SMTPServerSession, SessionState>();
  const state = (session: SMTPServerSession): SessionState => {
    let s = states.get(session);
    if (!s) states.set(session, (s = {}));
    return s;
  };
  const door = kind;
  const caps = { total: config.smtp.maxConnections, perClient: config.smtp.maxConnectionsPerClient };
  const limits = new ConnectionLimits(caps);
  const allowedMail = mailParameters(kind === 'submission');
  const refused = (r: Refusal) => {
    metrics.refusals.inc({ door, code: r.code });
    return refusalReply(r);
  };

  const options: SMTPServerOptions = {
    name: config.hostname,
    banner: 'mss-gateway, messagerie sécurisée de santé / secure health messaging',
    heloResponse: '%s vous salue / greets %s',
    authRequiredMessage: AUTH_REQUIRED,
    size: config.limits.maxMessageBytes,
    maxRecipients: config.limits.maxRecipients,
    ...serverTlsOptions(deps.tls, config.tls),
    // Ask for a client certificate; only the MX may insist on one (trust.requireClientCert).
    requestCert: true,
    rejectUnauthorized: kind === 'mx' && config.trust.requireClientCert,
    hideENHANCEDSTATUSCODES: false, // smtp-server hides them by default; RFC 3463 codes are part of every answer here
    // The DSN extension (RFC 3461: NOTIFY, RET) is not offered, as its options are not honoured
    // yet; failures are always reported by an RFC 3464 notification.
    hideDSN: true,
    disableReverseLookup: true,
    logger: false,
    // The idle timeout; deadlines on a whole command line and a whole DATA phase are set below.
    socketTimeout: config.smtp.idleTimeoutSeconds * 1000,
    closeTimeout: 5_000,
    maxAllowedUnauthenticatedCommands: 20,
    ...(kind === 'mx'
      ? { authOptional: true, disabledCommands: ['AUTH', ...UNOFFERED] }
      : { authMethods: ['PLAIN', 'LOGIN', 'EXTERNAL'], authOptional: false, allowInsecureAuth: false, disabledCommands: UNOFFERED }),

    onConnect(session, callback) {
      const over = limits.admit(session.remoteAddress);
      if (over) {
        metrics.refusals.inc({ door, code: over === 'client' ? 'TOO_MANY_CONNECTIONS_FROM_CLIENT' : 'TOO_MANY_CONNECTIONS' });
        log.warn({ door, ip: session.remoteAddress, open: limits.size, cap: over }, 'connection refused: too many connections');
        return callback(TOO_MANY_CONNECTIONS(over, over === 'client' ? caps.perClient : caps.total));
      }
      state(session).admitted = session.remoteAddress;
      metrics.connections.inc({ door });
      // AUTH is not even offered before STARTTLS (like Postfix's smtpd_tls_auth_only): a client
      // that sees no AUTH sends no password in the clear. A session's list replaces the door's.
      if (kind === 'submission') session.disabledCommands = ['AUTH', ...UNOFFERED];
      callback();
    },

    onClose(session) {
      // Called for refused connections too: only an admitted one gives a place back.
      const admitted = states.get(session)?.admitted;
      if (admitted !== undefined) {
        limits.release(admitted);
        metrics.connections.dec({ door });
      }
      states.delete(session);
    },

    onSecure(socket, session, callback) {
      state(session).peer = peerIdentity(socket as TLSSocket);
      if (kind === 'submission') session.disabledCommands = UNOFFERED;
      callback();
    },

    onAuth(auth, session, callback) {
      const ip = session.remoteAddress;
      const done = (result: Awaited<ReturnType<Login['withPassword']>>) => {
        if (result.ok) return callback(null, { user: result.mailbox.address });
        if (result.reason === 'blocked') {
          // 421 ends the session (smtp-server closes after sending it): the client must come back later.
          const wait = result.retryAfterSeconds < 60 ? `${result.retryAfterSeconds} s` : `${Math.ceil(result.retryAfterSeconds / 60)} min`;
          return callback(smtpError(421, '4.7.0', `Trop d'échecs d'authentification, réessayez dans ${wait} / Too many failed logins, try again in ${wait}`));
        }
        callback(smtpError(535, '5.7.8', 'Identifiants invalides / Authentication credentials invalid'));
      };
      // PLAIN may carry an authorisation identity (RFC 4616); smtp-server's types omit it.
      const authzid = (auth as { authzid?: string }).authzid ?? '';
      const attempt =
        // EXTERNAL is our extension (extensions.ts): smtp-server's types do not list it.
        (auth.method as string) === 'EXTERNAL'
          ? login.withCertificate(state(session).peer?.authorized ? state(session).peer!.names : undefined, auth.username ?? '', ip, 'submission')
          : login.withPassword(auth.username ?? '', auth.password ?? '', ip, 'submission', authzid);
      attempt.then(done, (err: unknown) => {
        log.error({ err, door }, 'login failed with an error');
        callback(TEMPORARY_FAILURE());
      });
    },

    onMailFrom(address, session, callback) {
      if (!session.secure) return callback(TLS_REQUIRED());
      const unsupported = unsupportedParameter(address.args, allowedMail);
      if (unsupported) return callback(UNSUPPORTED_PARAMETER('MAIL', unsupported));
      (async () => {
        const opened = await pipeline.open({
          origin: kind,
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
      if (!transaction) return callback(NEED_MAIL());
      const unsupported = unsupportedParameter(address.args, RCPT_PARAMETERS);
      if (unsupported) return callback(UNSUPPORTED_PARAMETER('RCPT', unsupported));
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
        return stream.once('end', () => callback(NEED_MAIL()));
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
          // A client gone mid-message (or cut off by the DATA deadline) is no fault of ours.
          if ((err as NodeJS.ErrnoException).code === 'ECONNECTION') log.info({ door }, 'client left during DATA');
          else log.error({ err, door }, 'DATA failed with an error');
          callback(TEMPORARY_FAILURE());
        },
      );
    },
  };

  const server = new SMTPServer(options);
  setDeadlines(server, { commandMs: config.smtp.commandTimeoutSeconds * 1000, dataMs: config.smtp.dataTimeoutSeconds * 1000 });
  server.on('error', (err) => log.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code }, door }, 'SMTP connection error'));
  return server;
}

function clientInfo(session: SMTPServerSession) {
  const tls = session.tlsOptions ? `${session.tlsOptions.version ?? ''} ${session.tlsOptions.name}`.trim() : undefined;
  return { ip: session.remoteAddress, helo: session.hostNameAppearsAs, tls };
}
