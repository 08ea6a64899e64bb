/**
 * Applies retention (DESIGN: "Retention and traces"): expired message copies and their files,
 * old traces, and the list of mailboxes unused for too long, flagged for closure. Run daily by
 * the server and on demand by `mssgw purge`.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../store/types.js';
import type { RetentionPlan, Store } from '../store/types.js';
import { schedule } from './schedule.js';

const DAY = 24 * 3600 * 1000;

export interface RetentionResult extends RetentionPlan {
  files: number;
  dryRun: boolean;
}

export async function applyRetention(
  deps: { store: Store; blobs: BlobStore; config: Config },
  options: { dryRun: boolean; now?: Date },
): Promise<RetentionResult> {
  const now = options.now ?? new Date();
  const traceBefore = new Date(now.getTime() - deps.config.retention.traceDays * DAY);
  const unusedSince = new Date(now.getTime() - deps.config.retention.inactiveMailboxDays * DAY);
  if (options.dryRun) {
    return { ...(await deps.store.retention.plan(now, traceBefore, unusedSince)), files: 0, dryRun: true };
  }
  const { unusedBlobs, ...done } = await deps.store.retention.apply(now, traceBefore, unusedSince);
  // Ended webmail sessions are refused already; their rows go with the rest.
  await deps.store.webSessions.prune(now);
  // The rows are gone first: a crash here leaves files that the orphan sweep removes later.
  for (const id of unusedBlobs) await deps.blobs.remove(id);
  await deps.store.audit.record({
    actor: 'retention',
    action: 'retention.purge',
    outcome: 'ok',
    detail: `${done.messages} messages, ${unusedBlobs.length} files, ${done.traces} traces; inactive: ${done.inactive.length}`,
  });
  return { ...done, files: unusedBlobs.length, dryRun: false };
}

export function startRetentionJob(deps: { store: Store; blobs: BlobStore; config: Config; log: Logger }): { stop(): void } {
  const run = async () => {
    try {
      const result = await applyRetention(deps, { dryRun: false });
      deps.log.info({ ...result, inactive: result.inactive.length }, 'retention applied');
      if (result.inactive.length) deps.log.warn({ mailboxes: result.inactive }, 'mailboxes unused for too long: flagged for closure');
    } catch (err) {
      deps.log.error({ err }, 'retention failed');
    }
  };
  return schedule(run, 5 * 60_000, DAY);
}
