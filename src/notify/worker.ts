/**
 * Sends the queued generic notifications through the configured SMTP relay (nodemailer), when
 * `notify.enabled`. A failure is retried with the relay's growing delays (relay.firstRetrySeconds
 * to relay.maxRetrySeconds); a permanent refusal of the address, or ten failed attempts, gives up.
 * Logs name the citizen's mailbox and the notification, never the personal address.
 */
import { createTransport } from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { QueuedNotification, Store } from '../store/types.js';
import { nextAttemptAt, type Backoff } from '../relay/backoff.js';
import { startQueueRunner, type Worker } from '../jobs/queue-runner.js';
import { notificationMessage } from './message.js';

export type { Worker } from '../jobs/queue-runner.js';

export interface NotifyDeps {
  store: Store;
  config: Config;
  log: Logger;
}

export const MAX_NOTIFY_ATTEMPTS = 10;
const BATCH = 50;

/** What the relay answered, or why nothing answered; one line. */
function reasonOf(err: NodemailerError): string {
  return (err.response ?? `${err.code ?? 'error'}: ${err.message}`).replace(/\s+/g, ' ').trim();
}

export function startNotifyWorker(deps: NotifyDeps): Worker {
  const { store, config, log } = deps;
  if (!config.notify.enabled) {
    log.debug('notifications disabled (notify.enabled is false)');
    return { kick() {}, async stop() {} };
  }
  const settings = config.notify;
  const transporter = createTransport({
    pool: true,
    maxConnections: 2,
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    name: config.hostname,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
    tls: { minVersion: config.tls.minVersion },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  const message = notificationMessage(config);
  const backoff: Backoff = { firstSeconds: config.relay.firstRetrySeconds, maxSeconds: config.relay.maxRetrySeconds };

  /** Runs a queue update; a failure is logged, and the row stays due (tried again later). */
  async function update(who: object, change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } catch (err) {
      log.error({ ...who, err }, 'notification queue update failed');
    }
  }

  async function sendOne(row: QueuedNotification): Promise<void> {
    const who = { notification: row.id, mailbox: row.mailbox, attempt: row.attempts + 1 };
    try {
      await transporter.sendMail({ ...message, to: row.email });
    } catch (error) {
      const err = error as NodemailerError;
      const reason = reasonOf(err);
      if (err.permanent || row.attempts + 1 >= MAX_NOTIFY_ATTEMPTS) {
        log.error({ ...who, reason }, err.permanent ? 'notification refused for good' : 'notification given up after repeated failures');
        return update(who, () => store.notifications.failed(row.id, reason));
      }
      const at = nextAttemptAt(new Date(), row.attempts, backoff);
      log.warn({ ...who, reason, next: at.toISOString() }, 'notification deferred');
      return update(who, () => store.notifications.retryLater(row.id, at, reason));
    }
    log.info(who, 'notification sent');
    await update(who, () => store.notifications.sent(row.id));
  }

  async function pass(stopping: AbortSignal): Promise<boolean> {
    const rows = await store.notifications.due(new Date(), BATCH);
    for (const row of rows) {
      if (stopping.aborted) return false;
      await sendOne(row);
    }
    return rows.length === BATCH;
  }

  const runner = startQueueRunner({
    name: 'notify',
    log,
    pass,
    nextDue: () => store.notifications.nextDue(),
    abort: () => transporter.close(),
  });
  return {
    kick: () => runner.kick(),
    async stop() {
      await runner.stop();
      transporter.close();
    },
  };
}
