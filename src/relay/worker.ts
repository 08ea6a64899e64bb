/**
 * The relay worker: delivers the persistent relay queue to the other operators of the trust
 * space. Each pass takes the due rows, gives up on those past their delay (DSN), groups the
 * rest into SMTP transactions (same message, same domain: one body, several RCPT TO), and
 * records each recipient's answer: accepted → delivered; 4xx or no answer → retried later with
 * a growing delay; 5xx → failed, and the sender gets a DSN in their mailbox.
 *
 * A row changes state only after the peer answered (or could not be reached), so a crash
 * mid-delivery means one more attempt, never a silent loss. Logs and audit lines carry who,
 * to whom and the answer, never the message.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { DeliverLocal } from '../pipeline/deps.js';
import type { RelayBacklog } from '../metrics.js';
import type { BlobStore, QueuedRelay, RelayQueue, Store } from '../store/types.js';
import type { TlsMaterial } from '../tls/certificates.js';
import { nextAttemptAt, type Backoff } from './backoff.js';
import { buildDsn } from './dsn.js';
import { groupTransactions, type Transaction } from './groups.js';
import { readOriginalHeaders, type OriginalHeaders } from './original-headers.js';
import { startQueueRunner, type Worker } from '../jobs/queue-runner.js';
import { describeReply, localReply, parseReply, type Reply } from './reply.js';
import { findRoute, type Route } from './routes.js';
import { transmit, type ClientSettings, type RecipientOutcome } from './smtp-client.js';

export type { Worker } from '../jobs/queue-runner.js';

export type { DeliverLocal };

export interface RelayDeps {
  store: Store;
  blobs: BlobStore;
  config: Config;
  log: Logger;
  tls: TlsMaterial;
  deliverLocal: DeliverLocal;
}

/** Rows taken per pass; a full batch means another pass right away. */
const BATCH = 100;
/** SMTP sessions open at once. */
const PARALLEL = 4;
const HOUR = 3600 * 1000;

/** A recipient the message will never reach: reported to the sender, then marked failed. */
interface Failure {
  row: QueuedRelay;
  reply: Reply;
  expired: boolean;
  remoteMta: string | null;
  lastAttempt: Date | null;
}

interface Attempted {
  outcomes: Map<string, RecipientOutcome>;
  /** the host that answered, when one did */
  remoteMta: string | null;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** The relay queue counts rows (one per remote recipient) up to this many for the gauges. */
const BACKLOG_ROWS = 10_000;
const END_OF_TIME = new Date(8.64e15);

/**
 * What the relay queue holds, for the metrics: every pending row (due now or later), counted as
 * messages. Beyond BACKLOG_ROWS rows the count is a floor: the gauge is for alerting, and a
 * backlog that large is an alert already.
 */
export async function relayBacklog(queue: RelayQueue): Promise<RelayBacklog> {
  const rows = await queue.due(END_OF_TIME, BACKLOG_ROWS);
  let oldest: Date | undefined;
  for (const row of rows) if (!oldest || row.createdAt < oldest) oldest = row.createdAt;
  return { messages: new Set(rows.map((r) => r.blobId)).size, oldestQueuedAt: oldest };
}

export function startRelayWorker(deps: RelayDeps): Worker {
  const { store, blobs, config, log } = deps;
  const backoff: Backoff = { firstSeconds: config.relay.firstRetrySeconds, maxSeconds: config.relay.maxRetrySeconds };
  const client: ClientSettings = {
    name: config.hostname,
    tls: deps.tls,
    minVersion: config.tls.minVersion,
    ciphers: config.tls.ciphers,
  };
  // Aborted only when stop() has waited long enough: cuts the SMTP sessions still open.
  const cut = new AbortController();

  /** Runs a queue update; a failure is logged and does not stop the other rows. */
  async function update(row: QueuedRelay, what: string, change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } catch (err) {
      log.error({ err, relay: row.id, recipient: row.recipient }, `relay queue update failed (${what}): the row stays pending and will be tried again`);
    }
  }

  async function audit(row: QueuedRelay, outcome: string, detail: string | null): Promise<void> {
    try {
      await store.audit.record({
        actor: row.sender || '<>',
        action: 'message.relay',
        mailbox: row.sender || null,
        target: row.recipient,
        outcome,
        detail,
      });
    } catch (err) {
      log.error({ err, relay: row.id }, 'audit record of a relay outcome failed');
    }
  }

  async function attemptTransaction(t: Transaction, route: (domain: string) => Promise<Route>): Promise<Attempted> {
    const forAll = (outcome: RecipientOutcome): Attempted => ({
      outcomes: new Map(t.rows.map((r) => [r.recipient, outcome])),
      remoteMta: null,
    });
    // The trust list may have lost the domain since the message was queued: a closed network.
    if (!(await store.trust.isTrusted(t.domain))) {
      return forAll({ status: 'refused', reply: localReply('5.7.1', `${t.domain} is not in the trust space`) });
    }
    const found = await route(t.domain);
    if (!found.ok) return forAll({ status: found.permanent ? 'refused' : 'deferred', reply: found.reply });

    let size: number;
    try {
      size = await blobs.size(t.blobId);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      log.error({ err, blob: t.blobId, sender: t.sender }, missing ? 'relayed message body is missing' : 'relayed message body unreadable');
      return forAll(
        missing
          ? { status: 'refused', reply: localReply('5.3.0', 'the message body was lost on the sending gateway') }
          : { status: 'deferred', reply: localReply('4.3.0', 'the message body could not be read') },
      );
    }

    const envelope = { from: t.sender, to: t.rows.map((r) => r.recipient), size };
    let attempted: Attempted | undefined;
    for (const [index, hop] of found.hops.entries()) {
      const result = await transmit(hop, client, envelope, () => blobs.stream(t.blobId), cut.signal);
      attempted = { outcomes: result.outcomes, remoteMta: result.reachedPeer ? hop.host : null };
      if (result.reachedPeer || cut.signal.aborted || index === found.hops.length - 1) break;
      // Unreachable or TLS refused before any SMTP exchange: the next MX may do better.
      const first = [...result.outcomes.values()][0];
      const reason = first && first.status !== 'accepted' ? describeReply(first.reply) : undefined;
      log.warn({ domain: t.domain, host: hop.host, port: hop.port, reason }, 'relay host not usable, trying the next MX');
    }
    return attempted!;
  }

  /** Records the answer for each row of a transaction; returns the recipients refused for good. */
  async function record(t: Transaction, attempted: Attempted, at: Date): Promise<Failure[]> {
    const failures: Failure[] = [];
    for (const row of t.rows) {
      const outcome: RecipientOutcome = attempted.outcomes.get(row.recipient) ?? {
        status: 'deferred',
        reply: localReply('4.0.0', 'no answer recorded for this recipient'),
      };
      const who = { relay: row.id, sender: row.sender, recipient: row.recipient, host: attempted.remoteMta, attempt: row.attempts + 1 };
      if (outcome.status === 'accepted') {
        await update(row, 'delivered', () => store.relay.delivered(row.id));
        await audit(row, 'delivered', attempted.remoteMta);
        log.info(who, 'relayed');
      } else if (outcome.status === 'deferred' && cut.signal.aborted) {
        // Cut short by stop(): not the peer's answer, so not an attempt; due again at next start.
        log.info({ ...who, reason: describeReply(outcome.reply) }, 'relay interrupted, left pending');
      } else if (outcome.status === 'deferred') {
        const next = nextAttemptAt(at, row.attempts, backoff);
        // Never past the expiry: at the expiry the row is due once more, and bounced.
        const when = next > row.expiresAt ? row.expiresAt : next;
        const reason = describeReply(outcome.reply);
        await update(row, 'retry later', () => store.relay.retryLater(row.id, when, reason));
        log.warn({ ...who, reason, next: when.toISOString() }, 'relay deferred');
      } else {
        log.warn({ ...who, reason: describeReply(outcome.reply) }, 'relay refused for good');
        failures.push({ row, reply: outcome.reply, expired: false, remoteMta: attempted.remoteMta, lastAttempt: at });
      }
    }
    return failures;
  }

  function expiredFailure(row: QueuedRelay): Failure {
    const reply = row.lastError ? parseReply(row.lastError) : localReply('4.4.7', 'no delivery attempt was made in time');
    log.warn({ relay: row.id, sender: row.sender, recipient: row.recipient, attempts: row.attempts, reason: row.lastError }, 'relay delay expired');
    return { row, reply, expired: true, remoteMta: null, lastAttempt: null };
  }

  async function bounce(failures: Failure[]): Promise<void> {
    const first = failures[0]!.row;
    const who = { sender: first.sender, recipients: failures.map((f) => f.row.recipient) };
    // RFC 3464: never a notification about a notification.
    if (!first.sender) return void log.warn(who, 'no DSN: the undelivered message had an empty sender');
    const mailbox = (await store.mailboxes.byAddress(first.sender)) ?? (await store.mailboxes.byAddress(first.sender.toLowerCase()));
    if (!mailbox) return void log.warn(who, 'no DSN: the sender is not a local mailbox');

    let original: OriginalHeaders;
    try {
      original = await readOriginalHeaders(blobs.stream(first.blobId));
    } catch (err) {
      log.error({ ...who, err }, 'original headers unreadable: the DSN goes without them');
      original = { block: Buffer.alloc(0), subject: null, messageId: null };
    }
    const raw = buildDsn({
      hostname: config.hostname,
      originalSender: first.sender,
      original: {
        headers: original.block,
        subject: original.subject,
        messageId: original.messageId,
        arrivalDate: first.createdAt,
        envelopeId: first.envelopeId,
      },
      recipients: failures.map((f) => ({
        recipient: f.row.recipient,
        reply: f.reply,
        expired: f.expired,
        remoteMta: f.remoteMta,
        lastAttempt: f.lastAttempt,
      })),
      expireHours: Math.max(0, Math.round((first.expiresAt.getTime() - first.createdAt.getTime()) / HOUR)),
      date: new Date(),
    });
    try {
      await deps.deliverLocal({
        raw,
        mailbox: mailbox.address,
        envelopeSender: '',
        audit: { action: 'message.dsn', outcome: 'delivered', detail: `${failures.length} recipient(s) not delivered` },
      });
      log.info(who, 'DSN delivered to the sender');
    } catch (err) {
      log.error({ ...who, err }, 'DSN could not be delivered to the sender');
    }
  }

  /**
   * The DSN first, then the rows marked failed: a crash in between sends the DSN twice rather
   * than never. One DSN per message and sender, listing all its failed recipients.
   */
  async function settle(failures: Failure[]): Promise<void> {
    const byMessage = new Map<string, Failure[]>();
    for (const f of failures) {
      const key = `${f.row.blobId} ${f.row.sender}`;
      byMessage.set(key, [...(byMessage.get(key) ?? []), f]);
    }
    for (const group of byMessage.values()) {
      try {
        await bounce(group);
      } catch (err) {
        log.error({ err, sender: group[0]!.row.sender }, 'DSN step failed: the failure is recorded without a DSN');
      }
      for (const f of group) {
        const reason = f.expired ? `delivery time expired (4.4.7); last error: ${describeReply(f.reply)}` : describeReply(f.reply);
        await update(f.row, 'failed', () => store.relay.failed(f.row.id, reason));
        await audit(f.row, f.expired ? 'expired' : 'refused', reason);
      }
    }
  }

  async function pass(stopping: AbortSignal): Promise<boolean> {
    const now = new Date();
    const rows = await store.relay.due(now, BATCH);
    if (rows.length === 0) return false;

    const failures: Failure[] = [];
    const live: QueuedRelay[] = [];
    for (const row of rows) {
      if (row.expiresAt.getTime() <= now.getTime()) failures.push(expiredFailure(row));
      else live.push(row);
    }

    const routes = new Map<string, Promise<Route>>();
    const route = (domain: string): Promise<Route> => {
      let found = routes.get(domain);
      if (!found) routes.set(domain, (found = findRoute(domain, config.relay)));
      return found;
    };
    await inParallel(groupTransactions(live, config.limits.maxRecipients), PARALLEL, async (t) => {
      if (stopping.aborted) return; // left pending: the next start takes them
      const at = new Date();
      let attempted: Attempted;
      try {
        attempted = await attemptTransaction(t, route);
      } catch (err) {
        log.error({ err, domain: t.domain, sender: t.sender }, 'relay attempt failed unexpectedly');
        const reply = localReply('4.3.0', `local error: ${(err as Error).message}`);
        attempted = { outcomes: new Map(t.rows.map((r) => [r.recipient, { status: 'deferred', reply }])), remoteMta: null };
      }
      failures.push(...(await record(t, attempted, at)));
    });

    await settle(failures);
    return rows.length === BATCH && !stopping.aborted;
  }

  return startQueueRunner({
    name: 'relay',
    log,
    pass,
    nextDue: () => store.relay.nextDue(),
    abort: () => cut.abort(),
  });
}
