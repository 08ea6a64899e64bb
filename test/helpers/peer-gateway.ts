/**
 * Several gateways of the trust space on loopback, for the relay's end-to-end tests: each one a
 * real `mssgw serve` process (startServer) with its own data and certificate folders, its own
 * domains and mailboxes, and an MX port that may be fixed in advance, so that another gateway's
 * `relay.routes` can point at it before it starts, and so that it can be restarted on the same
 * port. Also the small readers the tests need: queue rows, folders, message files, and a
 * bounded wait that polls for a state instead of sleeping for a duration.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as admin from '../../src/admin/provisioning.js';
import { openStore } from '../../src/store/open.js';
import { CA_CERT, CA_KEY, writeCa } from '../../src/tls/certificates.js';
import type { Sandbox } from './cli.js';

/** A port free on 127.0.0.1 right now: listen on 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Copies the development CA (certificate and key) so both gateways' certificates share it. */
export function shareCa(fromCertDir: string, toCertDir: string): void {
  mkdirSync(toCertDir, { recursive: true, mode: 0o700 });
  copyFileSync(path.join(fromCertDir, CA_CERT), path.join(toCertDir, CA_CERT));
  copyFileSync(path.join(fromCertDir, CA_KEY), path.join(toCertDir, CA_KEY));
}

/**
 * Writes a CA of its own into `certDir`, under a name of its own so no verifier can mistake it
 * for the development CA; `initCertificates` then signs the server certificate with it. For a
 * gateway outside the trust space.
 */
export function createOwnCa(certDir: string, commonName: string): void {
  writeCa(certDir, commonName, 'outside the trust space');
}

export interface GatewaySpec {
  local: string[];
  trusted: string[];
  pros: Array<{ address: string; name: string; password?: string }>;
}

/** Domains, trust list and mailboxes, through the same actions as the CLI (in-process). */
export async function provisionGateway(box: Sandbox, spec: GatewaySpec): Promise<void> {
  const store = openStore(box.dataDir);
  const p = { store, citizenDomain: 'patient.mssante.fr', actor: 'test' };
  try {
    for (const domain of spec.local) await admin.addLocalDomain(p, domain);
    for (const domain of spec.trusted) await admin.trustDomain(p, domain);
    for (const pro of spec.pros) {
      await admin.addPro(p, pro.address, { type: 'PER', name: pro.name, ...(pro.password ? { password: pro.password } : {}) });
    }
  } finally {
    await store.close();
  }
}



/** Runs one read-only query on a gateway's database (opened and closed each time). */
export function query<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dataDir, 'gateway.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export interface RelayRow {
  id: number;
  sender: string;
  recipient: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
}

export function relayRows(dataDir: string, recipient?: string): RelayRow[] {
  const columns = 'SELECT id, sender, recipient, state, attempts, last_error FROM relay_queue';
  return recipient === undefined
    ? query<RelayRow>(dataDir, `${columns} ORDER BY id`)
    : query<RelayRow>(dataDir, `${columns} WHERE recipient = ? ORDER BY id`, recipient);
}

/** The highest relay row id so far (0 when the queue is empty): rows after it are new. */
export function lastRelayId(dataDir: string): number {
  return query<{ id: number | null }>(dataDir, 'SELECT max(id) AS id FROM relay_queue')[0]?.id ?? 0;
}

export interface StoredMessage {
  id: number;
  blob_id: string;
  subject: string | null;
  from_address: string | null;
  message_id: string | null;
}

export function folder(dataDir: string, address: string, name = 'INBOX'): StoredMessage[] {
  return query<StoredMessage>(
    dataDir,
    `SELECT x.id, x.blob_id, x.subject, x.from_address, x.message_id FROM messages x
       JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
     WHERE m.address = ? AND f.name = ? ORDER BY x.id`,
    address,
    name,
  );
}

/** A stored message's file: `<data>/blobs/<first 6 characters of the id>/<id>`. */
export function readBlob(dataDir: string, blobId: string): Buffer {
  return readFileSync(path.join(dataDir, 'blobs', blobId.slice(0, 6), blobId));
}

/** The values of one header in the order they appear, folded lines joined. */
export function headerValues(raw: Buffer, name: string): string[] {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const prefix = `${name.toLowerCase()}:`;
  return block
    .split(/\r?\n/)
    .filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim().replace(/\s+/g, ' '));
}
