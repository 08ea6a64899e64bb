/**
 * User names as every door reads them: the mail address parser of the rules (trimmed,
 * lower-cased, one canonical form), so " Dr.House@X " is the mailbox dr.house@x, is counted
 * as it and logs in as it. A name that is not an address logs in as nothing and is counted
 * under one shared name, so garbage cannot open a fresh counter per attempt.
 */
import { parseAddress } from '../domain/address.js';

export const NOT_AN_ADDRESS = '(not an address)';

export type LoginName = { ok: true; address: string } | { ok: false; address: typeof NOT_AN_ADDRESS };

export function loginName(text: string): LoginName {
  const parsed = parseAddress(text);
  return parsed.ok ? { ok: true, address: parsed.value.address } : { ok: false, address: NOT_AN_ADDRESS };
}
