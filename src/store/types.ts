/**
 * What the rest of the gateway may ask of storage. Every method is async so that an engine with
 * a network round-trip (PostgreSQL) can implement the same interfaces; the SQLite engine answers
 * synchronously underneath. Each method is one atomic operation.
 */
import type { Closing } from '../domain/conversations.js';
import type { FiledDocument, FilingFacts } from '../domain/versions.js';
import type { Readable, Writable } from 'node:stream';
import type { Mailbox, MailboxKind, MailboxState, ProKind } from '../domain/mailbox.js';
import type { MimeIndex } from '../mime/types.js';

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
  /** lets a peer certificate name speak for a domain besides its own; false when already so */
  attach(certificateName: string, domain: string): Promise<boolean>;
  /** false when there was no such attachment */
  detach(certificateName: string, domain: string): Promise<boolean>;
  /** the domains attached to any of these certificate names */
  attachedTo(certificateNames: string[]): Promise<string[]>;
  attachments(): Promise<PeerAttachment[]>;
}

export interface PeerAttachment {
  certificateName: string;
  domain: string;
  addedAt: Date;
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
  byId(id: number): Promise<Mailbox | undefined>;
  /** the stored hash, for login; undefined when none is set */
  passwordHash(address: string): Promise<string | undefined>;
  setPasswordHash(address: string, hash: string): Promise<boolean>;
  setState(address: string, state: MailboxState): Promise<boolean>;
  /** the citizen's own address for the generic notifications; null stops them */
  setPersonalEmail(address: string, email: string | null): Promise<boolean>;
  list(): Promise<Mailbox[]>;
  /** records that the mailbox was used (a login, a message sent), for the inactivity rule; an hour is its grain */
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
  /** where it is (a pharmacy's town, for the citizen's picker); undefined or null: not known, or kept as it is by an upsert */
  town?: string | null;
}

export interface DirectoryStore {
  upsert(entry: DirectoryEntry): Promise<void>;
  byAddress(address: string): Promise<DirectoryEntry | undefined>;
  /** the entries of these addresses, in one read (a citizen's contacts); an unknown address is absent */
  byAddresses(addresses: readonly string[]): Promise<Map<string, DirectoryEntry>>;
  /**
   * Match on address, name, RPPS or town, without case, accent or punctuation differences
   * ("saint etienne" finds "Saint-Étienne"); by name, then address. An empty text matches every
   * entry. pharmaciesOnly for the citizen's picker.
   */
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

/** A page of an activity history: the lines before `beforeId` (all when absent), newest first. */
export interface AuditPage {
  beforeId?: number;
  /** default 200 */
  limit?: number;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** the mailbox's activity history, newest first (by id); a number is the limit, as before pages existed */
  forMailbox(address: string, page?: number | AuditPage): Promise<AuditRecord[]>;
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

/** Folder names are full paths with this delimiter, in UTF-8 (IMAP converts to modified UTF-7). */
export const FOLDER_DELIMITER = '/';

/** The flags kept as columns; any other flag is a keyword. `\\Recent` is a session's, not stored. */
export const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'] as const;
export type SystemFlag = (typeof SYSTEM_FLAGS)[number];

/** Why a store operation did not happen; the doors turn the code into their own answer. */
export type StoreRefusalCode =
  /** the folder or message named does not exist (or is not this mailbox's) */
  | 'NOT_FOUND'
  /** a folder of that name already exists */
  | 'EXISTS'
  /** a standard folder cannot be renamed or deleted; INBOX cannot be a child */
  | 'PROTECTED'
  /** a folder with children cannot be deleted */
  | 'HAS_CHILDREN'
  /** a limit: folders per mailbox, name length, keywords per message */
  | 'LIMIT';

export class StoreRefusal extends Error {
  override name = 'StoreRefusal';
  constructor(
    readonly code: StoreRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Folder {
  id: number;
  mailboxId: number;
  /** full path, FOLDER_DELIMITER between levels; 'INBOX' is always INBOX */
  name: string;
  /** RFC 6154 attribute (\\Sent, \\Drafts, \\Trash…) */
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  /** RFC 7162: the highest MODSEQ of any change in this folder */
  highestModseq: number;
  subscribed: boolean;
}

export interface FolderStatus {
  messages: number;
  unseen: number;
  /** messages with UIDs at or above the first one no session has claimed as \\Recent */
  recent: number;
  uidNext: number;
  uidValidity: number;
  highestModseq: number;
  /** bytes of all messages */
  size: number;
}

/** What SELECT needs to number messages: every UID in order, and where the unseen start. */
export interface FolderView {
  folder: Folder;
  /** ascending; a message's sequence number is its index + 1 */
  uids: Uint32Array;
  /** UID of the first message without \\Seen, if any */
  firstUnseenUid: number | null;
  unseen: number;
}

export interface FolderStore {
  /** every folder of the mailbox, by name */
  list(mailboxId: number): Promise<Folder[]>;
  byName(mailboxId: number, name: string): Promise<Folder | undefined>;
  byId(mailboxId: number, folderId: number): Promise<Folder | undefined>;
  /** StoreRefusal EXISTS / LIMIT; parents need not exist (LIST shows them as \\Noselect) */
  create(mailboxId: number, name: string): Promise<Folder>;
  /**
   * Renames a folder and every folder below it, keeping their messages and UIDVALIDITY.
   * Renaming INBOX moves its messages to a new folder and leaves INBOX empty (RFC 3501).
   * StoreRefusal NOT_FOUND / EXISTS / PROTECTED.
   */
  rename(mailboxId: number, from: string, to: string): Promise<void>;
  /** deletes a folder and its messages (tombstones kept). StoreRefusal NOT_FOUND / PROTECTED / HAS_CHILDREN */
  remove(mailboxId: number, name: string): Promise<void>;
  /** StoreRefusal NOT_FOUND */
  subscribe(mailboxId: number, name: string, subscribed: boolean): Promise<void>;
  status(mailboxId: number, folderId: number): Promise<FolderStatus>;
  /** the UIDs of the folder, for a session that selects it */
  view(mailboxId: number, folderId: number): Promise<FolderView>;
  /**
   * Claims the messages no session has seen as \\Recent yet (RFC 3501 §2.3.2: one session
   * only). Returns the UIDs claimed, `from` to `to` inclusive (none when `from > to`): recent
   * to this session, and to no other.
   */
  claimRecent(mailboxId: number, folderId: number): Promise<{ from: number; to: number }>;
}

/** What a client's flag resync needs of a message: its UID, MODSEQ and flags. */
export interface MessageState {
  uid: number;
  modseq: number;
  /** system flags (\\Seen…) then keywords, in a stable order */
  flags: string[];
}

/** A message in a folder, as IMAP and the webmail list it. */
export interface StoredMessage extends MessageState {
  /** unique in the whole store, stable while the message stays in its folder */
  id: number;
  folderId: number;
  blobId: string;
  size: number;
  internalDate: Date;
  messageId: string | null;
  subject: string | null;
  from: string | null;
  date: Date | null;
  hasAttachments: boolean;
  conversationId: number | null;
}

export type FlagChange =
  | { op: 'add'; flags: string[] }
  | { op: 'remove'; flags: string[] }
  | { op: 'replace'; flags: string[] };

export interface FlagOutcome {
  /** the messages whose flags changed, with their new flags and MODSEQ */
  updated: Array<{ uid: number; flags: string[]; modseq: number }>;
  /** RFC 7162 UNCHANGEDSINCE: messages modified after it, left alone */
  conflicts: number[];
  highestModseq: number;
}

export interface CopyOutcome {
  /** the target folder's UIDVALIDITY, for COPYUID */
  uidValidity: number;
  /** source UID → new UID in the target, in source UID order */
  pairs: Array<[source: number, target: number]>;
}

export interface NewMessage {
  /** a durable blob (see BlobStore.persist) */
  blob: { id: string; size: number };
  mime: MimeIndex;
  flags?: string[];
  internalDate?: Date;
  messageId?: string | null;
  subject?: string | null;
  from?: string | null;
  date?: Date | null;
  hasAttachments?: boolean;
  /** retention: when the message expires in each kind of mailbox (as for a delivery) */
  expiresAt?: { professional: Date; citizen: Date };
}

/** What changed in a folder after a MODSEQ: the change journal, read. */
export interface FolderChanges {
  highestModseq: number;
  /** messages added or whose flags changed after the MODSEQ, by UID */
  changed: StoredMessage[];
  /** UIDs expunged after the MODSEQ (tombstones), ascending */
  expunged: number[];
  /**
   * true when tombstones older than the MODSEQ asked for were already pruned: `expunged` may
   * then miss some, and a QRESYNC client must be told with VANISHED (EARLIER) of all it knows
   */
  incomplete: boolean;
}

/** One committed change, as every process that has sessions on the mailbox hears of it. */
export interface MailboxChange {
  mailboxId: number;
  /** null when the folder list itself changed (created, renamed, deleted) */
  folderId: number | null;
  /** the folder's HIGHESTMODSEQ after the change */
  modseq: number;
}

/**
 * Change notification: in-process right after each commit, and from other processes (a second
 * `serve`, `mssgw purge`) within a fraction of a second. A listener learns *that* a folder
 * changed; it reads *what* changed with `MessageStore.changes`.
 */
export interface ChangeFeed {
  subscribe(mailboxId: number, listener: (change: MailboxChange) => void): () => void;
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
  /** the body's MIME index, kept with the blob */
  mime: MimeIndex;
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
  /** SHA-256 (hex) of the CDA bytes: a document id names one content */
  contentHash: string;
  /** the CDA custodian, normalised (domain/versions.ts organisationKey) */
  custodian: string;
  /** the sending organisation: the sender's domain */
  organisation: string;
  /** false for a bare CDA, which states no visibility codes (the filed ones are kept) */
  visibilityStated: boolean;
  /** default 'message': a CDA document of a message; 'citizen': a file the citizen filed (see RecordDocument.source) */
  source?: RecordSource;
  /** the type of the file in `cda` (default text/xml: a CDA) */
  contentType?: string;
}

/**
 * Where a record document comes from. `message`: a CDA document of a message, delivered to the
 * citizen or filed by them from a message, under the version rules. `citizen`: a file the citizen
 * filed into their record themselves (a PDF, an image, a text from an attachment): its "CDA"
 * file is that file (RecordDocument.contentType says its type) and it is the citizen's own.
 */
export type RecordSource = 'message' | 'citizen';

/** A filed document as the version rules see it, with its files (a re-sending reuses them). */
export interface FiledVersion extends FiledDocument {
  cda: { blobId: string; size: number };
  pdf: { blobId: string; size: number } | null;
}

export interface RecordDocument extends Omit<Filing, 'cda' | 'pdf' | 'contentHash' | 'custodian' | 'visibilityStated'> {
  id: number;
  /** null for documents filed before migration 7 */
  contentHash: string | null;
  custodian: string | null;
  status: 'current' | 'replaced';
  replacedBy: number | null;
  sourceMessageId: string;
  /**
   * The document's own file: the CDA for a `message` document; the deposited file (of type
   * `contentType`) for a `citizen` one. Attach it under that type, not as a CDA, when it is not one.
   */
  cdaBlobId: string;
  cdaSize: number;
  /** 'message' for every document filed before schema 9 */
  source: RecordSource;
  /** the type of the file in cdaBlobId: text/xml for a CDA, else the deposited file's (application/pdf, image/jpeg…) */
  contentType: string;
  pdfBlobId: string | null;
  pdfSize: number | null;
  filedAt: Date;
}

export interface RecordStore {
  /** every document of a citizen's record, current and replaced, newest filing first */
  list(citizen: string): Promise<RecordDocument[]>;
  /** one document of this citizen's record by its row id (undefined when it is another's) */
  byId(citizen: string, id: number): Promise<RecordDocument | undefined>;
  /** the documents of this citizen's record that came from one message (by the Message-ID it was filed under) */
  fromMessage(citizen: string, sourceMessageId: string): Promise<RecordDocument[]>;
  /** whether this document id is already filed for this citizen (same id twice: filed once) */
  has(citizen: string, documentId: string): Promise<boolean>;
  /** what the version rules need: the document filed under this id, and every version of this set */
  facts(citizen: string, documentId: string, setId: string): Promise<FilingFacts<FiledVersion>>;
  /** every version of a set in this citizen's record, highest version first */
  versions(citizen: string, setId: string): Promise<RecordDocument[]>;
  /**
   * Files documents the citizen chose (an attachment of a message in their mailbox) into their
   * own record, each with its `record.file` activity line (actor `actor`), in one transaction:
   * all or nothing. Their files must already be durable blobs (BlobStore.put). A document id
   * already in the record is left as it is (outcome `already-filed`: a citizen's filing never
   * changes a filed document's visibility codes). Throws StoreConflict when the version rules
   * refuse one (another filing raced it): nothing is filed.
   */
  fileForCitizen(filings: readonly Filing[], options: { actor: string; sourceMessageId: string }): Promise<CitizenFiled[]>;
}

export interface CitizenFiled {
  documentId: string;
  /** the row, when filed */
  document?: RecordDocument;
  outcome: 'filed' | 'filed-as-replaced' | 'already-filed';
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

/**
 * The one writer of mailbox state. Every change (delivery, append, flags, copy, move, expunge,
 * retention) gets a MODSEQ, leaves tombstones for what it removes, and is announced on the
 * ChangeFeed. Every call names the mailbox: nothing of another mailbox can be read or changed
 * through an id or a UID guessed by a client.
 */
export interface MessageStore {
  /** commits a delivery atomically; the blob must already be durable on disk */
  deliver(delivery: Delivery): Promise<Delivered>;
  /** a message written into a folder by its owner (IMAP APPEND, a draft); returns its UID */
  append(mailboxId: number, folderId: number, message: NewMessage): Promise<{ id: number; uid: number; modseq: number }>;
  /** messages with these UIDs (ascending, any that exist), optionally only those changed after a MODSEQ */
  fetch(mailboxId: number, folderId: number, uids: readonly number[], options?: { changedSince?: number }): Promise<StoredMessage[]>;
  /** as fetch, only UID, MODSEQ and flags: a `FETCH 1:* (UID FLAGS)` over a large folder reads no more */
  states(mailboxId: number, folderId: number, uids: readonly number[], options?: { changedSince?: number }): Promise<MessageState[]>;
  /** a page of a folder, newest first (by UID), for the webmail */
  page(mailboxId: number, folderId: number, options: { beforeUid?: number; limit: number }): Promise<StoredMessage[]>;
  byId(mailboxId: number, id: number): Promise<StoredMessage | undefined>;
  /** the MIME index of a stored body (shared by every copy of the message) */
  mime(blobId: string): Promise<MimeIndex | undefined>;
  setFlags(mailboxId: number, folderId: number, uids: readonly number[], change: FlagChange, options?: { unchangedSince?: number }): Promise<FlagOutcome>;
  /** StoreRefusal NOT_FOUND when the target folder is not this mailbox's */
  copy(mailboxId: number, folderId: number, uids: readonly number[], targetFolderId: number): Promise<CopyOutcome>;
  /** copy, then expunge from the source, in one transaction */
  move(mailboxId: number, folderId: number, uids: readonly number[], targetFolderId: number): Promise<CopyOutcome & { expunged: number[]; modseq: number }>;
  /** removes the messages flagged \\Deleted (only among `uids` when given: UID EXPUNGE) */
  expunge(mailboxId: number, folderId: number, uids?: readonly number[]): Promise<{ expunged: number[]; modseq: number }>;
  /** the journal of a folder since a MODSEQ */
  changes(mailboxId: number, folderId: number, sinceModseq: number): Promise<FolderChanges>;
  /** whether a committed row knows this body file (files no row knows are orphans) */
  hasBlob(id: string): Promise<boolean>;
  /** @deprecated the messages of a folder by mailbox address and folder name (tests, CLI) */
  list(mailbox: string, folder: string): Promise<StoredMessage[]>;
}

export interface ConversationStore {
  /** the conversation with this citizen that one of these message ids belongs to, nearest first */
  answered(messageIds: string[], citizen: string): Promise<ConversationRecord | undefined>;
  byId(id: number): Promise<ConversationRecord | undefined>;
  hasWritten(professional: string, citizen: string): Promise<boolean>;
  /** the reply-only ledger read for one citizen: every professional who has written to them, latest first */
  writersTo(citizen: string): Promise<Writer[]>;
  close(id: number): Promise<boolean>;
}

export interface Writer {
  professional: string;
  firstAt: Date;
  lastAt: Date;
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

/**
 * A body being written: the stream takes the bytes; `read` gives ranges of what was written so
 * far (the checks read a message's parts before it is kept). Nothing here is a path or a file
 * handle: an engine may keep bodies elsewhere than in files.
 */
export interface BlobDraft {
  readonly id: string;
  readonly stream: Writable;
  /** bytes written so far */
  readonly size: number;
  /** bytes [start, end) of what the stream has written (after it finished) */
  read(start: number, end: number): Promise<Buffer>;
}

/** An open body: positional reads into a buffer the caller owns and reuses. */
export interface BlobReader {
  /** reads at most `length` bytes from `position` into `into` at `offset`; 0 at the end */
  read(into: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** Message bodies, filed documents and extracted files, by id. */
export interface BlobStore {
  /** a new body, open for writing */
  create(): Promise<BlobDraft>;
  /** ends the draft and makes it durable (on disk before this resolves); returns its size */
  persist(draft: BlobDraft): Promise<number>;
  /** ends and deletes a draft that will not be kept */
  discard(draft: BlobDraft): Promise<void>;
  /** writes a whole body held in memory, durably */
  put(content: Buffer): Promise<{ id: string; size: number }>;
  read(id: string, range?: { start: number; end: number }): Promise<Buffer>;
  /** `end` is exclusive */
  stream(id: string, range?: { start: number; end: number }): Readable;
  /** a body opened for reads into the caller's buffers (IMAP FETCH fills its own, no copy) */
  open(id: string): Promise<BlobReader>;
  size(id: string): Promise<number>;
  remove(id: string): Promise<void>;
  /** removes bodies older than `olderThan` that `isKnown` does not claim; returns how many */
  sweepOrphans(isKnown: (id: string) => Promise<boolean>, olderThan: Date): Promise<number>;
}

/**
 * Failed-login counters (src/auth/throttle.ts decides; this only counts and remembers), kept
 * where every process sees them: `serve` counts and blocks, `mssgw auth` lists and lifts.
 * `pair` counts one user name from one client; `client` one client whatever the names.
 */
export type LoginCounterScope = 'pair' | 'client';

export interface LoginCounterKey {
  scope: LoginCounterScope;
  /** the normalised user name; '' in the client scope */
  address: string;
  /** the client as counted: an IPv4 address or an IPv6 /64 */
  client: string;
}

export interface LoginCounter extends LoginCounterKey {
  failures: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
  blockedUntil: Date | null;
}

export interface LoginThrottleStore {
  /** the counters that exist among these keys */
  read(keys: LoginCounterKey[]): Promise<LoginCounter[]>;
  /**
   * Counts one failure on each key, in one transaction, and returns the counters. A counter
   * idle since before `forgetBefore` (no failure and no block after it) starts again at 1.
   */
  fail(keys: LoginCounterKey[], at: Date, forgetBefore: Date): Promise<LoginCounter[]>;
  /** blocks the counter until `until`; a longer block already set stays */
  block(key: LoginCounterKey, until: Date): Promise<void>;
  /** forgets one counter (a successful login) */
  clear(key: LoginCounterKey): Promise<void>;
  /** the counters blocked beyond `at`, the longest block first */
  blocked(at: Date): Promise<LoginCounter[]>;
  /** forgets every counter of a user name (all clients) or of a client (both scopes); returns them */
  lift(target: { address: string } | { client: string }): Promise<LoginCounter[]>;
  /** forgets the counters idle since before `before`; returns how many */
  prune(before: Date): Promise<number>;
}

/** A webmail session, found by the SHA-256 of its cookie's token. */
export interface WebSession {
  tokenHash: string;
  mailboxId: number;
  createdAt: Date;
  seenAt: Date;
  /** the session ends at the earlier of these */
  idleUntil: Date;
  expiresAt: Date;
  /** the client address at login, for the activity history */
  client: string | null;
}

export interface WebSessionStore {
  create(session: Omit<WebSession, 'seenAt'>): Promise<void>;
  /** the session, unless it has ended by `now` */
  find(tokenHash: string, now: Date): Promise<WebSession | undefined>;
  /** a call was made: the idle deadline moves (never past the absolute one) */
  touch(tokenHash: string, at: Date, idleUntil: Date): Promise<void>;
  /** false when there was no such session */
  remove(tokenHash: string): Promise<boolean>;
  /** every session of the mailbox ("log out everywhere"); returns how many */
  removeAll(mailboxId: number): Promise<number>;
  /** forgets the sessions that have ended; returns how many */
  prune(now: Date): Promise<number>;
}

export interface Store {
  domains: DomainStore;
  trust: TrustStore;
  mailboxes: MailboxStore;
  directory: DirectoryStore;
  audit: AuditLog;
  folders: FolderStore;
  messages: MessageStore;
  changes: ChangeFeed;
  conversations: ConversationStore;
  relay: RelayQueue;
  notifications: NotificationQueue;
  record: RecordStore;
  retention: RetentionStore;
  loginThrottle: LoginThrottleStore;
  webSessions: WebSessionStore;
  close(): Promise<void>;
}
