/**
 * Mail addresses as the rules see them: a citizen's `<INS>@<citizen domain>` or a professional's
 * address in a domain of the trust space. Addresses compare case-insensitively.
 */
import { checkIns, type InsCheck } from './ins.js';

export const DEFAULT_CITIZEN_DOMAIN = 'patient.mssante.fr';

export interface Address {
  /** lower-cased `local@domain` */
  address: string;
  local: string;
  domain: string;
}

// Deliberately narrower than RFC 5321: MSSanté addresses are plain dot-atoms, and a strict
// shape keeps odd quoting and comments out of a closed network.
const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export type AddressCheck = { ok: true; value: Address } | { ok: false; message: string };

export function parseAddress(input: string): AddressCheck {
  const text = input.trim().toLowerCase();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) {
    return { ok: false, message: `"${input}" is not a mail address (expected local@domain)` };
  }
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local)) {
    return { ok: false, message: `"${input}": the part before @ is not a valid mailbox name` };
  }
  if (!isDomainName(domain)) {
    return { ok: false, message: `"${input}": "${domain}" is not a valid domain name` };
  }
  return { ok: true, value: { address: `${local}@${domain}`, local, domain } };
}

export function isDomainName(text: string): boolean {
  return DOMAIN.test(text.toLowerCase());
}

export function normaliseDomain(text: string): string {
  return text.trim().toLowerCase().replace(/\.$/, '');
}

export function citizenAddress(ins: string, citizenDomain = DEFAULT_CITIZEN_DOMAIN): string {
  return `${ins.toLowerCase()}@${citizenDomain}`;
}

/** The INS of a citizen address (checked), or undefined when the address is not a citizen's. */
export function insOfCitizenAddress(address: Address, citizenDomain = DEFAULT_CITIZEN_DOMAIN): InsCheck | undefined {
  if (address.domain !== citizenDomain) return undefined;
  return checkIns(address.local);
}
