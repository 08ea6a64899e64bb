/**
 * What the rest of the gateway may ask of storage. Every method is async so that an engine with
 * a network round-trip (PostgreSQL) can implement the same interfaces; the SQLite engine answers
 * synchronously underneath. Each method is one atomic operation.
 */
import type { Mailbox, MailboxKind, MailboxState, ProKind } from '../domain/mailbox.js';

export class StoreConflict extends Error {
  override name = 'StoreConflict';
}

export interface DomainStore {
  /** false when the domain was already local */
  addLocal(domain: string): Promise<boolean>;
  listLocal(): Promise<string[]>;
  isLocal(domain: string): Promise<boolean>;
}

export interface TrustedDomain {
  domain: string;
  source: string;
  addedAt: Date;
}

export interface TrustStore {
  /** false when the domain was already trusted */
  add(domain: string, source: string): Promise<boolean>;
  /** false when the domain was not trusted */
  remove(domain: string): Promise<boolean>;
  list(): Promise<TrustedDomain[]>;
  isTrusted(domain: string): Promise<boolean>;
  /** adds all domains in one transaction; returns how many were new */
  addMany(domains: string[], source: string): Promise<number>;
}

export interface NewMailbox {
  address: string;
  kind: MailboxKind;
  pharmacy?: boolean;
  displayName?: string | null;
  rpps?: string | null;
  ins?: string | null;
  state?: MailboxState;
  passwordHash?: string | null;
  personalEmail?: string | null;
}

export interface MailboxStore {
  /** throws StoreConflict when the address (or the INS) already exists */
  create(mailbox: NewMailbox): Promise<Mailbox>;
  byAddress(address: string): Promise<Mailbox | undefined>;
  byIns(ins: string): Promise<Mailbox | undefined>;
  /** the stored hash, for login; undefined when none is set */
  passwordHash(address: string): Promise<string | undefined>;
  setPasswordHash(address: string, hash: string): Promise<boolean>;
  setState(address: string, state: MailboxState): Promise<boolean>;
  list(): Promise<Mailbox[]>;
}

export interface DirectoryEntry {
  address: string;
  kind: ProKind;
  pharmacy: boolean;
  displayName: string | null;
  rpps: string | null;
  /** a mailbox of this gateway, not of another operator */
  local: boolean;
}

export interface DirectoryStore {
  upsert(entry: DirectoryEntry): Promise<void>;
  byAddress(address: string): Promise<DirectoryEntry | undefined>;
  /** case-insensitive match on address, name or RPPS; pharmaciesOnly for the citizen's picker */
  search(text: string, options?: { pharmaciesOnly?: boolean; limit?: number }): Promise<DirectoryEntry[]>;
}

/** One line of the audit trail: who did what to whom, and the answer. Never content. */
export interface AuditEntry {
  actor: string;
  action: string;
  /** the mailbox whose activity history shows this line, when there is one */
  mailbox?: string | null;
  target?: string | null;
  outcome: string;
  detail?: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: Date;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  forMailbox(address: string, limit?: number): Promise<AuditRecord[]>;
  recent(limit?: number): Promise<AuditRecord[]>;
}

export interface Store {
  domains: DomainStore;
  trust: TrustStore;
  mailboxes: MailboxStore;
  directory: DirectoryStore;
  audit: AuditLog;
  close(): Promise<void>;
}
