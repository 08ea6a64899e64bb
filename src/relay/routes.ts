/**
 * Where to deliver mail for a domain of another operator: a fixed route from the configuration
 * first (private links, tests), else the domain's MX records, lowest preference first, on the
 * operators' MX port. A domain without MX records is its own mail host (RFC 5321 §5.1).
 */
import { resolveMx } from 'node:dns/promises';
import type { MxRecord } from 'node:dns';
import type { Config } from '../config.js';
import { localReply, type Reply } from './reply.js';

export interface Hop {
  host: string;
  port: number;
}

export type Route = { ok: true; hops: Hop[] } | { ok: false; permanent: boolean; reply: Reply };

export type MxLookup = (domain: string) => Promise<MxRecord[]>;

/** "host" or "host:port" from `relay.routes`; a route without a port uses the peer port. */
export function parseRoute(text: string, defaultPort: number): Hop {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text, port: defaultPort };
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
}

export async function findRoute(domain: string, relay: Config['relay'], lookup: MxLookup = resolveMx): Promise<Route> {
  const fixed = relay.routes[domain];
  if (fixed) return { ok: true, hops: [parseRoute(fixed, relay.peerPort)] };

  let records: MxRecord[];
  try {
    records = await lookup(domain);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // No MX but the name exists: the domain itself receives mail.
    if (code === 'ENODATA') return { ok: true, hops: [{ host: domain, port: relay.peerPort }] };
    // The domain does not exist at all: waiting will not make it appear.
    if (code === 'ENOTFOUND') {
      return { ok: false, permanent: true, reply: localReply('5.4.4', `domain ${domain} not found in DNS`) };
    }
    return { ok: false, permanent: false, reply: localReply('4.4.3', `DNS lookup of MX for ${domain} failed (${code ?? String(err)})`) };
  }
  if (records.length === 0) return { ok: true, hops: [{ host: domain, port: relay.peerPort }] };
  const hosts = records.filter((r) => r.exchange !== '' && r.exchange !== '.');
  if (hosts.length === 0) {
    // A "null MX" (RFC 7505): the domain says it accepts no mail.
    return { ok: false, permanent: true, reply: localReply('5.1.10', `domain ${domain} accepts no mail (null MX)`) };
  }
  hosts.sort((a, b) => a.priority - b.priority);
  return { ok: true, hops: hosts.map((r) => ({ host: r.exchange.replace(/\.$/, ''), port: relay.peerPort })) };
}
