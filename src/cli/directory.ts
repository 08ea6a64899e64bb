import * as admin from '../admin/provisioning.js';
import type { DirectoryEntry } from '../store/types.js';
import { stringOption, table, type Command } from './command.js';
import { operator } from './provisioning.js';

function entryJson(e: DirectoryEntry) {
  return { address: e.address, type: e.kind, pharmacy: e.pharmacy, name: e.displayName, rpps: e.rpps, local: e.local, town: e.town ?? null };
}

export const directoryCommands: Command[] = [
  {
    name: 'directory add',
    usage: 'directory add <ADDRESS> --type PER|ORG|APP [--pharmacy] [--name NAME] [--rpps ID] [--town TOWN]',
    summary: "adds or updates a professional or pharmacy, local or of another operator (a local pharmacy mailbox's town too)",
    options: {
      type: { type: 'string' },
      pharmacy: { type: 'boolean', default: false },
      name: { type: 'string' },
      rpps: { type: 'string' },
      town: { type: 'string' },
    },
    args: [1, 1],
    async run(inv) {
      const entry = await admin.addDirectoryEntry(operator(inv), inv.positionals[0]!, {
        type: stringOption(inv, 'type'),
        pharmacy: inv.values.pharmacy === true,
        name: stringOption(inv, 'name'),
        rpps: stringOption(inv, 'rpps'),
        town: stringOption(inv, 'town'),
      });
      // An absent --name or --town keeps what the entry had: the stored entry is what is shown.
      const stored = (await inv.store().directory.byAddress(entry.address)) ?? entry;
      inv.json ? inv.printJson(entryJson(stored)) : inv.print(entry.address);
    },
  },
  {
    name: 'directory search',
    usage: 'directory search <TEXT> [--pharmacies] [--json]',
    summary: 'finds professionals and pharmacies by address, name, RPPS or town',
    options: { pharmacies: { type: 'boolean', default: false } },
    args: [1, 1],
    async run(inv) {
      const entries = await inv.store().directory.search(inv.positionals[0]!, { pharmaciesOnly: inv.values.pharmacies === true });
      if (inv.json) return inv.printJson(entries.map(entryJson));
      if (entries.length === 0) return inv.note('no match');
      inv.print(
        table(entries.map((e) => [e.address, e.kind + (e.pharmacy ? ' pharmacy' : ''), e.local ? 'local' : 'remote', e.displayName ?? '', e.town ?? ''])),
      );
    },
  },
];
