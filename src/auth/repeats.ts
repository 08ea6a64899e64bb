/**
 * Wrong passwords already counted, so that a mail client retrying a stale password every few
 * minutes counts once and does not block its owner (Dovecot skips the penalty the same way).
 * A new password always counts, so an attacker gains nothing. Only keyed digests are kept, in
 * this process's memory, under a key that never leaves it.
 */
import { createHmac, randomBytes } from 'node:crypto';

const PER_NAME = 4;
const NAMES = 10_000;

export interface Repeats {
  /** true when this password already failed for this name from this client (then it stays known) */
  seen(name: string, client: string, password: string): boolean;
  remember(name: string, client: string, password: string): void;
}

export function createRepeats(): Repeats {
  const key = randomBytes(32);
  // insertion order is use order: the first entry is the least recently used
  const recent = new Map<string, string[]>();
  const digest = (name: string, client: string, password: string) =>
    createHmac('sha256', key).update(`${name}\0${client}\0${password}`).digest('base64url').slice(0, 22);
  const id = (name: string, client: string) => `${name}\0${client}`;
  return {
    seen(name, client, password) {
      const list = recent.get(id(name, client));
      return !!list && list.includes(digest(name, client, password));
    },
    remember(name, client, password) {
      const at = id(name, client);
      const list = (recent.get(at) ?? []).concat(digest(name, client, password)).slice(-PER_NAME);
      recent.delete(at);
      recent.set(at, list);
      if (recent.size > NAMES) recent.delete(recent.keys().next().value!);
    },
  };
}
