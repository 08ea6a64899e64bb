/**
 * Password and certificate logins for every door (SMTP submission, later IMAP and the
 * webmail), with the failure throttle in front.
 */
import { parseAddress } from '../domain/address.js';
import { mayLogIn, type LoginDoor, type Mailbox } from '../domain/mailbox.js';
import type { Store } from '../store/types.js';
import { verifyPassword } from './passwords.js';
import type { Throttle } from './throttle.js';

export type LoginResult =
  | { ok: true; mailbox: Mailbox }
  | { ok: false; reason: 'invalid' | 'blocked' | 'not-allowed' };


// Compared against when the address is unknown, so that an unknown address costs as much
// time as a wrong password and does not reveal which addresses exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export function createLogin(store: Store, throttle: Throttle) {
  async function mailboxFor(text: string): Promise<Mailbox | undefined> {
    const parsed = parseAddress(text);
    return parsed.ok ? store.mailboxes.byAddress(parsed.value.address) : undefined;
  }

  return {
    throttle,
    async withPassword(address: string, password: string, ip: string, door: LoginDoor): Promise<LoginResult> {
      if (throttle.blocked(address, ip)) return { ok: false, reason: 'blocked' };
      const mailbox = await mailboxFor(address);
      const hash = mailbox ? await store.mailboxes.passwordHash(mailbox.address) : undefined;
      const valid = await verifyPassword(password, hash ?? DUMMY_HASH);
      if (!mailbox || !hash || !valid) {
        throttle.failed(address, ip);
        return { ok: false, reason: 'invalid' };
      }
      if (!mayLogIn(mailbox, door)) {
        throttle.failed(address, ip);
        return { ok: false, reason: 'not-allowed' };
      }
      throttle.succeeded(address, ip);
      await store.mailboxes.touch(mailbox.address);
      return { ok: true, mailbox };
    },
    /** a client certificate already verified against the trusted CA names the mailbox */
    async withCertificate(names: string[], requested: string, ip: string, door: LoginDoor): Promise<LoginResult> {
      if (throttle.blocked(requested || names[0] || '', ip)) return { ok: false, reason: 'blocked' };
      const wanted = requested ? requested.toLowerCase() : names[0];
      const mailbox = wanted && names.includes(wanted) ? await mailboxFor(wanted) : undefined;
      if (!mailbox) {
        throttle.failed(wanted ?? '', ip);
        return { ok: false, reason: 'invalid' };
      }
      if (!mayLogIn(mailbox, door)) return { ok: false, reason: 'not-allowed' };
      await store.mailboxes.touch(mailbox.address);
      return { ok: true, mailbox };
    },
  };
}

export type Login = ReturnType<typeof createLogin>;
