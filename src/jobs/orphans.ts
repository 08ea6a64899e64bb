/**
 * Removes body files that no committed row knows: a message refused or interrupted after its
 * file was made durable, or a commit that failed. Files younger than an hour are left alone, as
 * they may belong to a delivery still in progress.
 */
import type { Logger } from '../log.js';
import type { BlobStore } from '../store/types.js';
import type { MessageStore } from '../store/types.js';
import { schedule } from './schedule.js';

const HOUR = 3600 * 1000;

export function startOrphanSweep(deps: { blobs: BlobStore; messages: MessageStore; log: Logger }): { stop(): void } {
  const sweep = async () => {
    try {
      const removed = await deps.blobs.sweepOrphans((id) => deps.messages.hasBlob(id), new Date(Date.now() - HOUR));
      if (removed) deps.log.info({ removed }, 'orphan message files removed');
    } catch (err) {
      deps.log.warn({ err }, 'orphan sweep failed');
    }
  };
  return schedule(sweep, 60_000, HOUR);
}
