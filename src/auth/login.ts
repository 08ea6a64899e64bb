/**
 * Password and certificate logins for every door (SMTP submission, later IMAP and the
 * webmail), with the failure throttle in front. The door only says the answer: 535 or NO for
 * `invalid` and `not-allowed`, a temporary refusal that ends the session for `blocked`.
 */
import { mayLogIn, type LoginDoor, type Mailbox } from '../domain/mailbox.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/types.js';
import { clientKey } from './client-key.js';
import { createGate } from './concurrency.js';
import { loginName, type LoginName } from './login-name.js';
import { verifyPassword } from './passwords.js';
import { createRepeats } from './repeats.js';
import type { Block, Throttle } from './throttle.js';

export type LoginResult =
  | { ok: true; mailbox: Mailbox }
  | { ok: false; reason: 'invalid' | 'not-allowed' }
  | { ok: false; reason: 'blocked'; retryAfterSeconds: number };

export interface LoginDeps {
  store: Store;
  throttle: Throttle;
  log: Logger;
  metrics?: Pick<Metrics, 'loginFailures' | 'loginBlocks'>;
  /** password checks run at once per client; the others wait */
  concurrentPerClient?: number;
  clock?: () => number;
}

// Compared against when the address is unknown, so that an unknown address costs as much
// time as a wrong password and does not reveal which addresses exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export function createLogin(deps: LoginDeps) {
  const { store, throttle, log, metrics } = deps;
  const clock = deps.clock ?? Date.now;
  const gate = createGate(deps.concurrentPerClient ?? 4);
  const repeats = createRepeats();

  /**
   * One warning per failed login, as Postfix logs SASL failures (what fail2ban-style tools read).
   * Never the password; nor a name that is no address, which may be a password typed in the wrong field.
   */
  function failure(name: LoginName, ip: string, door: LoginDoor, reason: string, detail: Record<string, unknown> = {}): void {
    metrics?.loginFailures.inc({ door, reason });
    log.warn({ event: 'login.failed', address: name.address, ip, door, reason, ...detail }, 'failed login');
  }

  function blocked(name: LoginName, ip: string, door: LoginDoor, block: Block): LoginResult {
    failure(name, ip, door, 'blocked', { until: block.until.toISOString() });
    return { ok: false, reason: 'blocked', retryAfterSeconds: Math.max(1, Math.ceil((block.until.getTime() - clock()) / 1000)) };
  }

  async function counted(name: LoginName, ip: string, door: LoginDoor, reason: 'invalid' | 'not-allowed', password?: string): Promise<LoginResult> {
    const client = clientKey(ip);
    const repeat = password !== undefined && repeats.seen(name.address, client, password);
    failure(name, ip, door, reason, repeat ? { repeated: true } : {});
    if (repeat) return { ok: false, reason };
    if (password !== undefined) repeats.remember(name.address, client, password);
    for (const block of await throttle.failed(name.address, ip)) {
      metrics?.loginBlocks.inc({ scope: block.scope });
      log.warn(
        { event: 'login.blocked', scope: block.scope, address: block.address || undefined, client: block.client, failures: block.failures, until: block.until.toISOString(), door },
        block.scope === 'pair' ? 'login blocked for this address from this client' : 'login blocked for this client',
      );
    }
    return { ok: false, reason };
  }

  return {
    throttle,
    /**
     * `authzid`: the SASL authorisation identity, when the client sent one. Acting for another
     * mailbox is not offered, so it must name the same mailbox as the user name.
     */
    async withPassword(userName: string, password: string, ip: string, door: LoginDoor, authzid = ''): Promise<LoginResult> {
      const name = loginName(userName);
      return gate.run(clientKey(ip), async () => {
        const verdict = await throttle.check(name.address, ip);
        if (!verdict.allowed) return blocked(name, ip, door, verdict.block);
        const mailbox = name.ok ? await store.mailboxes.byAddress(name.address) : undefined;
        const hash = mailbox ? await store.mailboxes.passwordHash(mailbox.address) : undefined;
        const valid = await verifyPassword(password, hash ?? DUMMY_HASH);
        const sameIdentity = authzid === '' || loginName(authzid).address === name.address;
        if (!mailbox || !hash || !valid || !sameIdentity) return counted(name, ip, door, 'invalid', password);
        if (!mayLogIn(mailbox, door)) return counted(name, ip, door, 'not-allowed', password);
        await throttle.succeeded(name.address, ip);
        await store.mailboxes.touch(mailbox.address);
        return { ok: true, mailbox };
      });
    },

    /**
     * A client certificate names the mailbox: `names` are those of a certificate already
     * verified against the trusted CA, undefined when the client presented none that is.
     */
    async withCertificate(names: string[] | undefined, requested: string, ip: string, door: LoginDoor): Promise<LoginResult> {
      const name = loginName(requested || names?.[0] || '');
      return gate.run(clientKey(ip), async () => {
        const verdict = await throttle.check(name.address, ip);
        if (!verdict.allowed) return blocked(name, ip, door, verdict.block);
        const mailbox = name.ok && names?.includes(name.address) ? await store.mailboxes.byAddress(name.address) : undefined;
        if (!mailbox) return counted(name, ip, door, 'invalid');
        // The certificate proves who this is: a door they may not use is no guess to count.
        if (!mayLogIn(mailbox, door)) {
          failure(name, ip, door, 'not-allowed');
          return { ok: false, reason: 'not-allowed' };
        }
        await store.mailboxes.touch(mailbox.address);
        return { ok: true, mailbox };
      });
    },
  };
}

export type Login = ReturnType<typeof createLogin>;
