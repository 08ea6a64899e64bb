/** The provisioning context the CLI acts in: the operator, on the local store. */
import type { Provisioning } from '../admin/provisioning.js';
import type { Invocation } from './command.js';

export function operator(inv: Invocation): Provisioning {
  return { store: inv.store(), citizenDomain: inv.config().domains.citizen, actor: 'cli' };
}
