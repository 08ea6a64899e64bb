/**
 * A stand-in for another operator's MX: a real smtp-server on 127.0.0.1 with STARTTLS, asking
 * for a client certificate signed by its CA, whose answers each test scripts per recipient.
 */
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { TlsMaterial } from '../../../src/tls/certificates.js';

export interface Received {
  from: string;
  to: string[];
  data: Buffer;
  secure: boolean;
  clientCertificate: string | undefined;
}

/** An SMTP refusal: [code, text]; undefined accepts. `n` counts the RCPTs for that address. */
export type RcptAnswer = (recipient: string, n: number) => [number, string] | undefined;

export interface Peer {
  port: number;
  received: Received[];
  /** MAIL FROM commands seen, with whether the session was under TLS */
  mailFrom: Array<{ address: string; secure: boolean }>;
  close(): Promise<void>;
}

function refusal([code, text]: [number, string]): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startPeer(
  tls: TlsMaterial,
  options: { port?: number; rcpt?: RcptAnswer; data?: () => [number, string] | undefined; noStartTls?: boolean } = {},
): Promise<Peer> {
  const received: Received[] = [];
  const mailFrom: Peer['mailFrom'] = [];
  const counts = new Map<string, number>();
  const certificates = new Map<string, string | undefined>();
  const serverOptions: SMTPServerOptions = {
    secure: false,
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    requestCert: true,
    rejectUnauthorized: true,
    authOptional: true,
    disabledCommands: options.noStartTls ? ['AUTH', 'STARTTLS'] : ['AUTH'],
    logger: false,
    onSecure(socket, session, callback) {
      const cert = (socket as TLSSocket).getPeerCertificate();
      certificates.set(session.id, cert?.subject?.CN as string | undefined);
      callback();
    },
    onMailFrom(address, session, callback) {
      mailFrom.push({ address: address.address, secure: session.secure });
      callback();
    },
    onRcptTo(address, _session, callback) {
      const n = (counts.get(address.address) ?? 0) + 1;
      counts.set(address.address, n);
      const answer = options.rcpt?.(address.address, n);
      callback(answer ? refusal(answer) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const answer = options.data?.();
        if (answer) return callback(refusal(answer));
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks),
          secure: session.secure,
          clientCertificate: certificates.get(session.id),
        });
        callback();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', () => undefined); // refused handshakes are the point of some tests
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
  });
  return {
    port,
    received,
    mailFrom,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
