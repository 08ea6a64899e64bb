/**
 * Turns addresses into the facts the rules decide on: who is this (a citizen or a professional,
 * a pharmacy?) and where does the address live (here, at another operator of the trust space,
 * outside). The only place where the pipeline reads the directory and the mailbox table for
 * the policy.
 */
import { insOfCitizenAddress, parseAddress } from '../domain/address.js';
import type { Party, Place } from '../domain/policy.js';
import { refusal, type Refusal } from '../domain/refusals.js';
import type { Mailbox } from '../domain/mailbox.js';
import type { Store } from '../store/types.js';

export interface AddressFacts {
  party: Party;
  place: Place;
  /** the local mailbox, when the address is hosted here */
  mailbox?: Mailbox;
}

export type Described = { ok: true; facts: AddressFacts } | { ok: false; refusal: Refusal };

/** An address of a From: field, as rule 7 weighs it (AuthorFacts in domain/policy.ts). */
export interface AuthorAddress {
  address: string;
  where: Place['where'];
  /** a host directly under a trusted domain (the reporting MTA of another operator's bounce) */
  hostOfTrusted: boolean;
}

export interface FactFinder {
  describe(address: string): Promise<Described>;
  author(address: string): Promise<AuthorAddress>;
  /** an address of the trust space: local (professional or citizen) or of a trusted domain */
  inTrustSpace(address: string): Promise<boolean>;
  isLocalDomain(domain: string): Promise<boolean>;
}

export function factFinder(store: Store, citizenDomain: string): FactFinder {
  async function isLocalDomain(domain: string): Promise<boolean> {
    return domain === citizenDomain || (await store.domains.isLocal(domain));
  }

  const finder: FactFinder = {
    isLocalDomain,
    async author(address) {
      const described = await finder.describe(address);
      const where = described.ok ? described.facts.place.where : 'outside';
      const domain = address.slice(address.lastIndexOf('@') + 1);
      const parent = domain.slice(domain.indexOf('.') + 1);
      const hostOfTrusted = where === 'outside' && parent.includes('.') && (await store.trust.isTrusted(parent));
      return { address, where, hostOfTrusted };
    },
    async inTrustSpace(address) {
      const parsed = parseAddress(address);
      if (!parsed.ok) return false;
      const domain = parsed.value.domain;
      return (await isLocalDomain(domain)) || (await store.trust.isTrusted(domain));
    },
    async describe(text) {
      const parsed = parseAddress(text);
      if (!parsed.ok) return { ok: false, refusal: refusal('INVALID_ADDRESS', parsed.message) };
      const { address, domain } = parsed.value;

      const ins = insOfCitizenAddress(parsed.value, citizenDomain);
      if (ins) {
        if (!ins.ok) return { ok: false, refusal: refusal('INVALID_INS', ins.message) };
        const mailbox = await store.mailboxes.byAddress(address);
        return {
          ok: true,
          facts: {
            party: { role: 'citizen', address, ins: ins.ins },
            place: { where: 'local', state: mailbox?.state ?? 'missing' },
            mailbox,
          },
        };
      }

      if (await store.domains.isLocal(domain)) {
        const mailbox = await store.mailboxes.byAddress(address);
        // A citizen-kind mailbox never lives in a professional domain (the schema forbids it).
        return {
          ok: true,
          facts: {
            party: { role: 'professional', address, pharmacy: mailbox?.pharmacy ?? false },
            place: { where: 'local', state: mailbox?.state ?? 'missing' },
            mailbox,
          },
        };
      }

      const trusted = await store.trust.isTrusted(domain);
      const entry = trusted ? await store.directory.byAddress(address) : undefined;
      return {
        ok: true,
        facts: {
          party: { role: 'professional', address, pharmacy: entry?.pharmacy ?? false },
          place: trusted ? { where: 'trusted' } : { where: 'outside' },
        },
      };
    },
  };
  return finder;
}
