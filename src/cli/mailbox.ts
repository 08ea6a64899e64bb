import * as admin from '../admin/provisioning.js';
import type { Mailbox } from '../domain/mailbox.js';
import { stringOption, table, type Command } from './command.js';
import { operator } from './provisioning.js';

function mailboxJson(m: Mailbox) {
  return {
    address: m.address,
    type: m.kind,
    pharmacy: m.pharmacy,
    name: m.displayName,
    rpps: m.rpps,
    ins: m.ins,
    state: m.state,
    email: m.personalEmail,
    hasPassword: m.hasPassword,
    createdAt: m.createdAt.toISOString(),
  };
}

export const mailboxCommands: Command[] = [
  {
    name: 'mailbox add-patient',
    usage: 'mailbox add-patient <INS> [--email ADDR] [--password PW] [--name NAME]',
    summary: "issues <INS>@patient.mssante.fr to a citizen; prints the address",
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
    args: [1, 1],
    async run(inv) {
      const mailbox = await admin.addPatient(operator(inv), inv.positionals[0]!, {
        email: stringOption(inv, 'email'),
        password: stringOption(inv, 'password'),
        name: stringOption(inv, 'name'),
      });
      inv.json ? inv.printJson(mailboxJson(mailbox)) : inv.print(mailbox.address);
    },
  },
  {
    name: 'mailbox add-pro',
    usage: 'mailbox add-pro <ADDRESS> --type PER|ORG|APP [--pharmacy] [--name NAME] [--rpps ID] [--password PW]',
    summary: 'creates a local professional mailbox',
    options: {
      type: { type: 'string' },
      pharmacy: { type: 'boolean', default: false },
      name: { type: 'string' },
      rpps: { type: 'string' },
      password: { type: 'string' },
    },
    args: [1, 1],
    async run(inv) {
      const mailbox = await admin.addPro(operator(inv), inv.positionals[0]!, {
        type: stringOption(inv, 'type'),
        pharmacy: inv.values.pharmacy === true,
        name: stringOption(inv, 'name'),
        rpps: stringOption(inv, 'rpps'),
        password: stringOption(inv, 'password'),
      });
      inv.json ? inv.printJson(mailboxJson(mailbox)) : inv.print(mailbox.address);
    },
  },
  {
    name: 'mailbox oppose',
    usage: 'mailbox oppose <INS>',
    summary: 'records that the citizen opposes: no mailbox, mail to it refused',
    args: [1, 1],
    async run(inv) {
      const mailbox = await admin.oppose(operator(inv), inv.positionals[0]!);
      inv.json ? inv.printJson(mailboxJson(mailbox)) : inv.print(`${mailbox.address} opposed`);
    },
  },
  {
    name: 'mailbox reactivate',
    usage: 'mailbox reactivate <ADDRESS|INS>',
    summary: "lifts a citizen's opposition or re-opens a closed mailbox",
    args: [1, 1],
    async run(inv) {
      const mailbox = await admin.reactivate(operator(inv), inv.positionals[0]!);
      inv.json ? inv.printJson(mailboxJson(mailbox)) : inv.print(`${mailbox.address} open`);
    },
  },
  {
    name: 'mailbox close',
    usage: 'mailbox close <ADDRESS>',
    summary: 'closes a mailbox: new mail refused, data kept per retention',
    args: [1, 1],
    async run(inv) {
      const mailbox = await admin.close(operator(inv), inv.positionals[0]!);
      inv.json ? inv.printJson(mailboxJson(mailbox)) : inv.print(`${mailbox.address} closed`);
    },
  },
  {
    name: 'mailbox passwd',
    usage: 'mailbox passwd <ADDRESS> [--password PW]',
    summary: 'sets a password (a random one is generated and printed when none is given)',
    options: { password: { type: 'string' } },
    args: [1, 1],
    async run(inv) {
      const { mailbox, generated } = await admin.setPassword(operator(inv), inv.positionals[0]!, stringOption(inv, 'password'));
      if (inv.json) inv.printJson({ address: mailbox.address, ...(generated ? { password: generated } : {}) });
      else inv.print(generated ? `${mailbox.address} ${generated}` : `${mailbox.address} password set`);
    },
  },
  {
    name: 'mailbox list',
    usage: 'mailbox list [--json]',
    summary: 'lists mailboxes with type and state',
    args: [0, 0],
    async run(inv) {
      const mailboxes = await inv.store().mailboxes.list();
      if (inv.json) return inv.printJson(mailboxes.map(mailboxJson));
      if (mailboxes.length === 0) return inv.note('no mailboxes yet');
      inv.print(
        table([
          ['ADDRESS', 'TYPE', 'STATE', 'NAME'],
          ...mailboxes.map((m) => [m.address, m.kind + (m.pharmacy ? ' pharmacy' : ''), m.state, m.displayName ?? '']),
        ]),
      );
    },
  },
];
