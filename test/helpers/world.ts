/**
 * A small MSSanté world for end-to-end tests: a local hospital domain with a doctor, a
 * pharmacy and a colleague; citizens in every state; another operator in the trust list; and
 * the real server running on free loopback ports. Provisioning goes through the same actions
 * as the CLI (in-process, for speed); the CLI itself is tested in cli.test.ts.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import nodemailer, { type Mail } from 'nodemailer';
import type { SendMailOptions } from 'nodemailer/lib/mailer/index.js';
import { inject } from 'vitest';
import * as admin from '../../src/admin/provisioning.js';
import { openStore } from '../../src/store/open.js';
import { copyTestCertificates, peerCertificate } from './certs.js';
import { sandbox, type Sandbox } from './cli.js';
import { startServer, type RunningServer } from './server.js';

export const HOSPITAL = 'hopital.mssante.fr';
export const OTHER_OPERATOR = 'ch-lyon.mssante.fr';
export const PASSWORD = 'correct horse battery';

export const DOCTOR = `dr.house@${HOSPITAL}`;
export const COLLEAGUE = `dr.wilson@${HOSPITAL}`;
export const PHARMACY = `pharmacie@${HOSPITAL}`;
export const REMOTE_DOCTOR = `dr.who@${OTHER_OPERATOR}`;
export const REMOTE_PHARMACY = `officine@${OTHER_OPERATOR}`;

export const INS = {
  jeanne: '184127645108946',
  paul: '269054958815780',
  opposed: '185039710500154',
  closed: '185229741100105',
  unknown: '220509912345679',
};
export const citizen = (ins: string) => `${ins}@patient.mssante.fr`;

export interface World {
  box: Sandbox;
  server: RunningServer;
  ca: Buffer;
  db(): Database.Database;
  /** one read-only query on the server's database, closed at once */
  query<T>(sql: string, ...params: unknown[]): T[];
  /** an imapflow client on the IMAPS port, as a professional's mail client (connect() it) */
  imap(user?: string, password?: string): ImapFlow;
  submission(user?: string, password?: string): Mail;
  /**
   * One submission session kept open for many messages, as a mail client does: one TLS
   * handshake and one (scrypt-checked) login instead of one per message. For tests about the
   * messages, not about connecting or logging in.
   */
  session(user?: string, password?: string): Mail;
  /** another operator's MX; pass {} for a client without a certificate */
  mx(options?: { cert?: Buffer; key?: Buffer }): Mail;
  stop(): Promise<void>;
}

async function provisionInto(dataDir: string): Promise<void> {
  const store = openStore(dataDir);
  const p = { store, citizenDomain: 'patient.mssante.fr', actor: 'test' };
  await admin.addLocalDomain(p, HOSPITAL);
  await admin.trustDomain(p, OTHER_OPERATOR);
  await admin.addPro(p, DOCTOR, { type: 'PER', name: 'Dr House', password: PASSWORD });
  await admin.addPro(p, COLLEAGUE, { type: 'PER', name: 'Dr Wilson', password: PASSWORD });
  await admin.addPro(p, PHARMACY, { type: 'ORG', pharmacy: true, name: 'Pharmacie du Centre', password: PASSWORD });
  await admin.addDirectoryEntry(p, REMOTE_DOCTOR, { type: 'PER', name: 'Dr Who' });
  await admin.addDirectoryEntry(p, REMOTE_PHARMACY, { type: 'ORG', pharmacy: true, name: 'Officine de Lyon' });
  await admin.addPatient(p, INS.jeanne, { email: 'jeanne@example.org', password: PASSWORD });
  await admin.addPatient(p, INS.paul, { password: PASSWORD });
  await admin.oppose(p, INS.opposed);
  await admin.addPatient(p, INS.closed, {});
  await admin.close(p, INS.closed);
  await store.close();
}

/**
 * The provisioned world, made once per test run (five passwords are five scrypt hashes) in the
 * run's shared folder, and copied into each sandbox. Whichever file needs it first builds it;
 * the rename makes it appear whole or not at all.
 */
async function worldTemplate(): Promise<string> {
  const dir = path.join(inject('testCertificates'), 'world-template');
  if (existsSync(path.join(dir, 'gateway.sqlite'))) return dir;
  const building = mkdtempSync(`${dir}-`);
  await provisionInto(building);
  try {
    renameSync(building, dir);
  } catch (err) {
    // Another file built it meanwhile: use that one.
    if (!['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

export async function provisionWorld(box: Sandbox): Promise<void> {
  // A data folder that already holds a database, or a run outside vitest (the benchmarks): in place.
  if (!process.env.VITEST || existsSync(path.join(box.dataDir, 'gateway.sqlite'))) return provisionInto(box.dataDir);
  cpSync(await worldTemplate(), box.dataDir, { recursive: true });
}

export async function startWorld(config: Record<string, unknown> = {}, box: Sandbox = sandbox()): Promise<World> {
  copyTestCertificates(box.certDir);
  await provisionWorld(box);
  const server = await startServer(box, config);
  const ca = readFileSync(path.join(box.certDir, 'ca.crt'));
  const transports: Mail[] = [];
  const keep = (t: Mail) => (transports.push(t), t);
  const sessions = new Map<string, Mail>();
  const world: World = {
    box,
    server,
    ca,
    db: () => new Database(path.join(box.dataDir, 'gateway.sqlite'), { readonly: true, fileMustExist: true }),
    query<T>(sql: string, ...params: unknown[]): T[] {
      const db = world.db();
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    imap: (user = DOCTOR, password = PASSWORD) =>
      new ImapFlow({ host: '127.0.0.1', port: server.ports.imaps, secure: true, tls: { ca, servername: 'localhost' }, auth: { user, pass: password }, logger: false }),
    submission: (user = DOCTOR, password = PASSWORD) =>
      keep(
        nodemailer.createTransport({
          host: '127.0.0.1',
          port: server.ports.submission,
          secure: false,
          requireTLS: true,
          auth: { user, pass: password },
          tls: { ca, servername: 'localhost' },
        }),
      ),
    session: (user = DOCTOR, password = PASSWORD) => {
      const key = `${user}\0${password}`;
      let session = sessions.get(key);
      if (!session) {
        session = keep(
          nodemailer.createTransport({
            pool: true,
            maxConnections: 1,
            maxMessages: Infinity,
            host: '127.0.0.1',
            port: world.server.ports.submission,
            secure: false,
            requireTLS: true,
            auth: { user, pass: password },
            tls: { ca, servername: 'localhost' },
          }),
        );
        sessions.set(key, session);
      }
      return session;
    },
    // Another operator's MX: by default it presents its client certificate (mx.ch-lyon…).
    mx: (options = peerCertificate()) =>
      keep(
        nodemailer.createTransport({
          host: '127.0.0.1',
          port: server.ports.smtp,
          secure: false,
          requireTLS: true,
          tls: { ca, servername: 'localhost', ...options },
        }),
      ),
    async stop() {
      for (const t of transports) t.close();
      // The server of now: a test may have replaced the first one (durability restarts it).
      await world.server.stop();
    },
  };
  return world;
}

/** Sends and returns the server's final reply text, or the error reply, without throwing. */
export async function trySend(transport: Mail, mail: SendMailOptions): Promise<{ ok: boolean; response: string; rejected: string[] }> {
  try {
    const info = await transport.sendMail(mail);
    return { ok: true, response: info.response ?? "", rejected: (info.rejected as string[]) ?? [] };
  } catch (err) {
    const e = err as { response?: string; message: string; rejected?: string[] };
    return { ok: false, response: e.response ?? e.message, rejected: e.rejected ?? [] };
  }
}
