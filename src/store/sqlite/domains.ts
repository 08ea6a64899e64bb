import type { DomainStore, PeerAttachment, TrustStore, TrustedDomain } from '../types.js';
import { now, type Db } from './database.js';

export function sqliteDomains(db: Db): DomainStore {
  const insert = db.prepare('INSERT OR IGNORE INTO local_domains (domain, created_at) VALUES (?, ?)');
  const list = db.prepare('SELECT domain FROM local_domains ORDER BY domain').pluck();
  const has = db.prepare('SELECT 1 FROM local_domains WHERE domain = ?').pluck();
  return {
    async addLocal(domain) {
      return insert.run(domain, now()).changes === 1;
    },
    async listLocal() {
      return list.all() as string[];
    },
    async isLocal(domain) {
      return has.get(domain) !== undefined;
    },
  };
}

interface TrustRow {
  domain: string;
  source: string;
  created_at: number;
}

export function sqliteTrust(db: Db): TrustStore {
  const insert = db.prepare('INSERT OR IGNORE INTO trusted_domains (domain, source, created_at) VALUES (?, ?, ?)');
  const remove = db.prepare('DELETE FROM trusted_domains WHERE domain = ?');
  const list = db.prepare('SELECT domain, source, created_at FROM trusted_domains ORDER BY domain');
  const has = db.prepare('SELECT 1 FROM trusted_domains WHERE domain = ?').pluck();
  const attach = db.prepare('INSERT OR IGNORE INTO peer_domains (certificate_name, domain, created_at) VALUES (?, ?, ?)');
  const detach = db.prepare('DELETE FROM peer_domains WHERE certificate_name = ? AND domain = ?');
  const attachedTo = db.prepare('SELECT DISTINCT domain FROM peer_domains WHERE certificate_name IN (SELECT value FROM json_each(?)) ORDER BY domain').pluck();
  const attachments = db.prepare('SELECT certificate_name, domain, created_at FROM peer_domains ORDER BY certificate_name, domain');
  const addMany = db.transaction((domains: string[], source: string) => {
    let added = 0;
    const at = now();
    for (const domain of domains) added += insert.run(domain, source, at).changes;
    return added;
  });
  return {
    async add(domain, source) {
      return insert.run(domain, source, now()).changes === 1;
    },
    async remove(domain) {
      return remove.run(domain).changes === 1;
    },
    async list(): Promise<TrustedDomain[]> {
      return (list.all() as TrustRow[]).map((row) => ({
        domain: row.domain,
        source: row.source,
        addedAt: new Date(row.created_at),
      }));
    },
    async isTrusted(domain) {
      return has.get(domain) !== undefined;
    },
    async addMany(domains, source) {
      return addMany(domains, source);
    },
    async attach(certificateName, domain) {
      return attach.run(certificateName, domain, now()).changes === 1;
    },
    async detach(certificateName, domain) {
      return detach.run(certificateName, domain).changes === 1;
    },
    async attachedTo(certificateNames) {
      return certificateNames.length ? (attachedTo.all(JSON.stringify(certificateNames)) as string[]) : [];
    },
    async attachments(): Promise<PeerAttachment[]> {
      return (attachments.all() as Array<{ certificate_name: string; domain: string; created_at: number }>).map((row) => ({
        certificateName: row.certificate_name,
        domain: row.domain,
        addedAt: new Date(row.created_at),
      }));
    },
  };
}
