import { applyRetention } from '../jobs/retention.js';
import { fsBlobStore } from '../store/fs/blobs.js';
import type { Command } from './command.js';

export const purgeCommands: Command[] = [
  {
    name: 'purge',
    usage: 'purge [--dry-run] [--json]',
    summary: 'applies retention now: expired messages and their files, old traces; lists mailboxes unused for too long',
    options: { 'dry-run': { type: 'boolean', default: false } },
    args: [0, 0],
    async run(inv) {
      const config = inv.config();
      const result = await applyRetention(
        { store: inv.store(), blobs: fsBlobStore(config.dataDir), config },
        { dryRun: inv.values['dry-run'] === true },
      );
      if (inv.json) return inv.printJson(result);
      const verb = result.dryRun ? 'would remove' : 'removed';
      inv.print(`${verb} ${result.messages} expired messages${result.dryRun ? '' : ` (${result.files} files)`} and ${result.traces} old traces`);
      if (result.inactive.length) inv.print(`unused for ${config.retention.inactiveMailboxDays} days, to close: ${result.inactive.join(', ')}`);
    },
  },
];
