import { readFile } from 'node:fs/promises';
import * as admin from '../admin/provisioning.js';
import { parseTrustList } from '../admin/trust-list.js';
import { ValidationError } from '../errors.js';
import { table, type Command } from './command.js';
import { operator } from './provisioning.js';

export const domainCommands: Command[] = [
  {
    name: 'domain add-local',
    usage: 'domain add-local <DOMAIN>',
    summary: 'adds a local professional domain',
    args: [1, 1],
    async run(inv) {
      const added = await admin.addLocalDomain(operator(inv), inv.positionals[0]!);
      if (!added) inv.note(`${inv.positionals[0]} was already a local domain`);
    },
  },
  {
    name: 'domain list',
    usage: 'domain list [--json]',
    summary: 'lists the local professional domains',
    args: [0, 0],
    async run(inv) {
      const domains = await inv.store().domains.listLocal();
      if (inv.json) inv.printJson(domains);
      else if (domains.length) inv.print(domains.join('\n'));
      else inv.note('no local domains yet');
    },
  },
  {
    name: 'trust add',
    usage: 'trust add <DOMAIN>',
    summary: 'adds a domain to the trust space',
    args: [1, 1],
    async run(inv) {
      if (!(await admin.trustDomain(operator(inv), inv.positionals[0]!))) inv.note(`${inv.positionals[0]} was already trusted`);
    },
  },
  {
    name: 'trust remove',
    usage: 'trust remove <DOMAIN>',
    summary: 'removes a domain from the trust space',
    args: [1, 1],
    async run(inv) {
      await admin.distrustDomain(operator(inv), inv.positionals[0]!);
    },
  },
  {
    name: 'trust list',
    usage: 'trust list [--json]',
    summary: 'lists the trusted domains',
    args: [0, 0],
    async run(inv) {
      const domains = await inv.store().trust.list();
      if (inv.json) return inv.printJson(domains.map((d) => ({ domain: d.domain, source: d.source, addedAt: d.addedAt.toISOString() })));
      if (domains.length === 0) return inv.note('the trust list is empty');
      inv.print(table(domains.map((d) => [d.domain, d.source])));
    },
  },
  {
    name: 'trust attach',
    usage: 'trust attach <CERT-NAME> <DOMAIN>',
    summary: "lets the peer certificate named CERT-NAME (its CN or a DNS name) speak for DOMAIN too",
    args: [2, 2],
    async run(inv) {
      const [name, domain] = inv.positionals as [string, string];
      if (!(await admin.attachPeerDomain(operator(inv), name, domain))) inv.note(`${domain} was already attached to ${name}`);
    },
  },
  {
    name: 'trust detach',
    usage: 'trust detach <CERT-NAME> <DOMAIN>',
    summary: 'undoes trust attach',
    args: [2, 2],
    async run(inv) {
      const [name, domain] = inv.positionals as [string, string];
      await admin.detachPeerDomain(operator(inv), name, domain);
    },
  },
  {
    name: 'trust peers',
    usage: 'trust peers [--json]',
    summary: 'lists the domains attached to peer certificates',
    args: [0, 0],
    async run(inv) {
      const rows = await inv.store().trust.attachments();
      if (inv.json) return inv.printJson(rows.map((r) => ({ certificateName: r.certificateName, domain: r.domain, addedAt: r.addedAt.toISOString() })));
      if (rows.length === 0) return inv.note('no domain is attached to a peer certificate');
      inv.print(table(rows.map((r) => [r.certificateName, r.domain])));
    },
  },
  {
    name: 'trust import',
    usage: 'trust import <FILE>',
    summary: 'imports the national white-list XML (Domaine/Nom) or a list of domains, one a line',
    args: [1, 1],
    async run(inv) {
      const file = inv.positionals[0]!;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new ValidationError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
      const domains = parseTrustList(text, file);
      const result = await admin.importTrust(operator(inv), domains, `import:${file}`);
      if (inv.json) inv.printJson(result);
      else inv.print(`${result.read} domains read, ${result.added} new`);
    },
  },
];
