/**
 * `mssgw auth blocks` and `auth unblock`: the operator sees and lifts the login blocks that a
 * running `serve` sets (they are in the database, so this works from another process).
 */
import { clientKey, isClientText } from '../auth/client-key.js';
import { parseAddress } from '../domain/address.js';
import { ValidationError } from '../errors.js';
import type { LoginCounter } from '../store/types.js';
import { table, type Command } from './command.js';

const asJson = (c: LoginCounter) => ({
  scope: c.scope,
  address: c.scope === 'pair' ? c.address : null,
  client: c.client,
  failures: c.failures,
  lastFailureAt: c.lastFailureAt.toISOString(),
  blockedUntil: c.blockedUntil?.toISOString() ?? null,
});

/** what the operator typed: a client (IP, or a /64 as listed) or a user name */
function target(text: string): { client: string } | { address: string } {
  if (isClientText(text)) return { client: clientKey(text) };
  const parsed = parseAddress(text);
  if (parsed.ok) return { address: parsed.value.address };
  throw new ValidationError(`"${text}" is neither a mail address nor an IP address`);
}

export const authCommands: Command[] = [
  {
    name: 'auth blocks',
    usage: 'auth blocks [--json]',
    summary: 'lists the login blocks in force: an address from one client, or a whole client; failures and end',
    args: [0, 0],
    async run(inv) {
      const blocks = await inv.store().loginThrottle.blocked(new Date());
      if (inv.json) return inv.printJson(blocks.map(asJson));
      if (blocks.length === 0) return inv.note('no login blocks in force');
      const rows = blocks.map((b) => [b.scope === 'pair' ? b.address : '(any address)', b.client, String(b.failures), b.blockedUntil!.toISOString()]);
      inv.print(table([['ADDRESS', 'CLIENT', 'FAILURES', 'BLOCKED UNTIL'], ...rows]));
    },
  },
  {
    name: 'auth unblock',
    usage: 'auth unblock <ADDRESS|IP>',
    summary: 'lifts the blocks of an address (from every client) or of a client (IP), and forgets their failures',
    args: [1, 1],
    async run(inv) {
      const text = inv.positionals[0]!;
      const what = target(text);
      const store = inv.store();
      const now = Date.now();
      const lifted = await store.loginThrottle.lift(what);
      const wereBlocked = lifted.filter((c) => c.blockedUntil && c.blockedUntil.getTime() > now).length;
      const named = 'client' in what ? `client ${what.client}` : what.address;
      await store.audit.record({
        actor: 'cli',
        action: 'auth.unblock',
        target: 'client' in what ? what.client : what.address,
        outcome: 'ok',
        detail: `${wereBlocked} blocks lifted, ${lifted.length} counters forgotten`,
      });
      if (inv.json) return inv.printJson({ target: named, blocksLifted: wereBlocked, countersForgotten: lifted.length });
      if (lifted.length === 0) return inv.note(`no block and no failed login recorded for ${named}`);
      inv.print(`${named}: ${wereBlocked} block(s) lifted, ${lifted.length} failure counter(s) forgotten`);
    },
  },
];
