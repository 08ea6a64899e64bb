/**
 * The two IMAP listeners: `imap` (plain, STARTTLS, LOGINDISABLED until TLS) and `imaps`
 * (implicit TLS, RFC 8314). Both ask for a client certificate (AUTHENTICATE EXTERNAL) without
 * requiring one, and share the caps: connections in all and per client address (refused with
 * BYE at once), sessions per mailbox (checked at login). Closing stops accepting and ends every
 * session with BYE.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createPlainServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { ImapServices } from './command.js';
import { COMMANDS } from './commands/registry.js';
import { ImapConnection, type ConnectionDeps } from './connection.js';
import type { MailboxSeats } from './session.js';
import type { ConnectionCounter, ImapCounts } from './worker-counts.js';
import { clientList } from '../auth/client-key.js';
import { ConnectionLimits } from '../net/connection-limits.js';
import { serverTlsOptions, type TlsMaterial } from '../tls/certificates.js';

export type ImapDoor = 'imap' | 'imaps';

export interface ImapListener {
  name: ImapDoor;
  server: Server;
  /** stops accepting, says BYE to every session, resolves when all are gone */
  close(): Promise<void>;
}

export interface ImapServerDeps {
  services: ImapServices;
  tls: TlsMaterial;
  /** the caps counted with sibling worker processes (worker-counts.ts); this process alone otherwise */
  counts?: ImapCounts;
}

function seats(perMailbox: number): MailboxSeats {
  const taken = new Map<number, number>();
  return {
    perMailbox,
    take(mailboxId) {
      const n = taken.get(mailboxId) ?? 0;
      if (n >= perMailbox) return false;
      taken.set(mailboxId, n + 1);
      return true;
    },
    release(mailboxId) {
      const n = taken.get(mailboxId) ?? 0;
      if (n <= 1) taken.delete(mailboxId);
      else taken.set(mailboxId, n - 1);
    },
  };
}

/** Both IMAP listeners, not yet listening (the gateway binds them). */
export function createImapListeners(deps: ImapServerDeps): ImapListener[] {
  const { services } = deps;
  const { config, log, metrics } = services;
  const imap = config.imap;
  const tlsOptions = serverTlsOptions(deps.tls, config.tls);
  const clearText = clientList(imap.clearTextLoginFrom);
  const secureContext = createSecureContext(tlsOptions);
  const commands = new Map(COMMANDS.map((spec) => [spec.name, spec]));
  const limits: ConnectionCounter = deps.counts?.connections ?? new ConnectionLimits({ total: imap.maxConnections, perClient: imap.maxConnectionsPerClient });
  const mailboxSeats = deps.counts?.seats ?? seats(imap.maxConnectionsPerMailbox);
  const open = new Map<ImapConnection, ImapDoor>();
  metrics.watchImapBuffers(() => {
    let input = 0;
    let output = 0;
    for (const connection of open.keys()) {
      const held = connection.buffered;
      input += held.input;
      output += held.output;
    }
    return { input, output };
  });
  const common: Omit<ConnectionDeps, 'id' | 'onClose'> = {
    services,
    commands,
    seats: mailboxSeats,
    secureContext,
    limits: {
      maxLineBytes: imap.maxLineBytes,
      maxLiteralBytes: imap.maxLiteralBytes,
      appendLimit: config.limits.maxMessageBytes,
      maxLiterals: imap.maxLiteralsPerCommand,
    },
    timeouts: {
      preLoginMs: imap.loginTimeoutSeconds * 1000,
      autologoutMs: imap.autologoutSeconds * 1000,
      idleMs: imap.idleTimeoutSeconds * 1000,
      stallMs: imap.writeStallSeconds * 1000,
    },
  };

  const accept = (door: ImapDoor) => (socket: Socket) => {
    const ip = socket.remoteAddress ?? '';
    const id = randomBytes(6).toString('base64url');
    const over = limits.admit(ip);
    const connection = new ImapConnection(socket, {
      ...common,
      id,
      clearTextLogin: door === 'imap' && clearText(ip),
      onClose: () => {
        open.delete(connection);
        if (!over) {
          limits.release(ip);
          metrics.connections.dec({ door });
        }
      },
    });
    if (over) {
      metrics.refusals.inc({ door, code: over === 'client' ? 'TOO_MANY_CONNECTIONS_FROM_CLIENT' : 'TOO_MANY_CONNECTIONS' });
      log.warn({ door, ip, open: limits.size, cap: over }, 'connection refused: too many connections');
      const cap = over === 'client' ? imap.maxConnectionsPerClient : imap.maxConnections;
      connection.refuse(
        over === 'client'
          ? `[UNAVAILABLE] Trop de connexions depuis votre adresse (${cap} au plus), réessayez plus tard / Too many connections from your address (at most ${cap}), try again later`
          : `[UNAVAILABLE] Trop de connexions en cours (${cap} au plus), réessayez plus tard / Too many connections (at most ${cap}), try again later`,
      );
      return;
    }
    open.set(connection, door);
    metrics.connections.inc({ door });
    connection.greet();
  };

  const plain = createPlainServer(accept('imap'));
  const secure = createTlsServer({ ...tlsOptions, requestCert: true, rejectUnauthorized: false, handshakeTimeout: 30_000 }, (socket: TLSSocket) => accept('imaps')(socket));
  // A failed handshake is the client's business: logged, never fatal.
  secure.on('tlsClientError', (err) => log.debug({ door: 'imaps', err: { message: err.message } }, 'TLS handshake failed'));

  const closer = (server: Server, door: ImapDoor) => async () => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...open].filter(([, d]) => d === door).map(([c]) => c.shutdown()));
    await stopped;
  };
  return [
    { name: 'imap', server: plain, close: closer(plain, 'imap') },
    { name: 'imaps', server: secure, close: closer(secure, 'imaps') },
  ];
}
