/** When what a delivery stores expires: mailbox copies per kind of mailbox, and the relay. */
import type { Config } from '../config.js';
import type { Delivery } from '../store/types.js';

const DAY = 24 * 3600 * 1000;

export function expiry(config: Config, now = Date.now()): Pick<Delivery, 'expiresAt' | 'relayExpiresAt'> {
  return {
    expiresAt: {
      professional: new Date(now + config.retention.professionalDays * DAY),
      citizen: new Date(now + config.retention.citizenDays * DAY),
    },
    relayExpiresAt: new Date(now + config.relay.expireHours * 3600 * 1000),
  };
}
