/**
 * What the rest of the gateway may ask of storage. Every method is async so that an engine with
 * a network round-trip (PostgreSQL) can implement the same interfaces; the SQLite engine answers
 * synchronously underneath. Each method is one atomic operation.
 */
import type { Closing } from '../domain/conversations.js';
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
  /** records that the mailbox was used (a login, a message sent), for the inactivity rule */
  touch(address: string): Promise<void>;
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

/** Every mailbox has these folders from its creation; IMAP serves them with these names. */
export const STANDARD_FOLDERS = [
  { name: 'INBOX', specialUse: null },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Trash', specialUse: '\\Trash' },
] as const;
export type StandardFolder = (typeof STANDARD_FOLDERS)[number]['name'];

export interface StoredMessage {
  id: number;
  folderId: number;
  uid: number;
  modseq: number;
  blobId: string;
  size: number;
  internalDate: Date;
  flags: string[];
  messageId: string | null;
  subject: string | null;
  from: string | null;
  date: Date | null;
  hasAttachments: boolean;
  conversationId: number | null;
}

/** A conversation this delivery opens, continues or closes, with one citizen. */
export interface ConversationChange {
  citizen: string;
  professional: string;
  /** an existing conversation the message answers; a new one is opened otherwise */
  existingId?: number;
  close?: Closing;
}

export interface DeliveryTarget {
  mailbox: string;
  folder: StandardFolder;
  flags?: string[];
  /** index into Delivery.conversations: the conversation this copy belongs to */
  conversation?: number;
}

/** Everything one accepted message changes, committed at once (or not at all). */
export interface Delivery {
  blob: { id: string; size: number };
  envelopeSender: string;
  messageId: string;
  subject: string | null;
  from: string | null;
  date: Date | null;
  hasAttachments: boolean;
  targets: DeliveryTarget[];
  /** recipients at other operators, queued for the relay */
  relay: string[];
  envelopeId?: string | null;
  conversations: ConversationChange[];
  /** the ledger of the reply-only rule: these professionals have written to these citizens */
  contacts: Array<{ professional: string; citizen: string }>;
  /** generic notifications to citizens' personal addresses */
  notify: Array<{ mailbox: string; email: string }>;
  audit: AuditEntry[];
  /** retention: when the copies in each kind of mailbox expire */
  expiresAt: { professional: Date; citizen: Date };
  /** when the relay gives up on the remote recipients (then a DSN goes to the sender) */
  relayExpiresAt: Date;
  /** health documents filed into the recipient citizens' records */
  filings?: Filing[];
}

/** One document to file into a citizen's record; its files are already durable blobs. */
export interface Filing {
  citizen: string;
  documentId: string;
  setId: string;
  version: number;
  typeCode: string;
  category: string;
  title: string;
  authorName: string | null;
  authorId: string | null;
  effectiveAt: Date | null;
  effectiveTime: string;
  sender: string;
  confidentiality: string[];
  cda: { blobId: string; size: number };
  pdf: { blobId: string; size: number } | null;
}

export interface RecordDocument extends Omit<Filing, 'cda' | 'pdf'> {
  id: number;
  status: 'current' | 'replaced';
  replacedBy: number | null;
  sourceMessageId: string;
  cdaBlobId: string;
  cdaSize: number;
  pdfBlobId: string | null;
  pdfSize: number | null;
  filedAt: Date;
}

export interface RecordStore {
  /** every document of a citizen's record, current and replaced, newest filing first */
  list(citizen: string): Promise<RecordDocument[]>;
  /** whether this document id is already filed for this citizen (same id twice: filed once) */
  has(citizen: string, documentId: string): Promise<boolean>;
}

export interface Delivered {
  copies: Array<{ mailbox: string; folder: string; uid: number; id: number }>;
  conversationIds: number[];
}

export interface ConversationRecord {
  id: number;
  professional: string;
  citizen: string;
  state: 'open' | 'closed';
  createdAt: Date;
}

export interface MessageStore {
  /** commits a delivery atomically; the blob must already be durable on disk */
  deliver(delivery: Delivery): Promise<Delivered>;
  list(mailbox: string, folder: string): Promise<StoredMessage[]>;
  byId(mailbox: string, id: number): Promise<StoredMessage | undefined>;
  /** whether a committed row knows this body file (files no row knows are orphans) */
  hasBlob(id: string): Promise<boolean>;
}

export interface ConversationStore {
  /** the conversation with this citizen that one of these message ids belongs to, nearest first */
  answered(messageIds: string[], citizen: string): Promise<ConversationRecord | undefined>;
  byId(id: number): Promise<ConversationRecord | undefined>;
  hasWritten(professional: string, citizen: string): Promise<boolean>;
  close(id: number): Promise<boolean>;
}

export interface QueuedRelay {
  id: number;
  blobId: string;
  sender: string;
  recipient: string;
  domain: string;
  envelopeId: string | null;
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
  lastError: string | null;
}

export interface RelayQueue {
  /** pending deliveries due now, oldest first */
  due(now: Date, limit: number): Promise<QueuedRelay[]>;
  delivered(id: number): Promise<void>;
  retryLater(id: number, at: Date, error: string): Promise<void>;
  failed(id: number, error: string): Promise<void>;
  /** the earliest time something will be due, to sleep until then */
  nextDue(): Promise<Date | undefined>;
}

export interface QueuedNotification {
  id: number;
  mailbox: string;
  email: string;
  attempts: number;
}

export interface NotificationQueue {
  due(now: Date, limit: number): Promise<QueuedNotification[]>;
  sent(id: number): Promise<void>;
  retryLater(id: number, at: Date, error: string): Promise<void>;
  failed(id: number, error: string): Promise<void>;
  nextDue(): Promise<Date | undefined>;
}

/** What retention removes at a given moment; the message files are returned to be deleted. */
export interface RetentionPlan {
  /** message copies whose retention delay has passed */
  messages: number;
  /** audit lines and finished queue rows older than the trace delay */
  traces: number;
  /** open mailboxes unused since the inactivity limit (flagged for closure, not closed) */
  inactive: string[];
}

export interface RetentionStore {
  /** what `apply` would do, changing nothing */
  plan(now: Date, traceBefore: Date, unusedSince: Date): Promise<RetentionPlan>;
  /** deletes what the plan says; returns it with the body files nothing references any more */
  apply(now: Date, traceBefore: Date, unusedSince: Date): Promise<RetentionPlan & { unusedBlobs: string[] }>;
}

export interface Store {
  domains: DomainStore;
  trust: TrustStore;
  mailboxes: MailboxStore;
  directory: DirectoryStore;
  audit: AuditLog;
  messages: MessageStore;
  conversations: ConversationStore;
  relay: RelayQueue;
  notifications: NotificationQueue;
  record: RecordStore;
  retention: RetentionStore;
  close(): Promise<void>;
}
