/**
 * NOOP (RFC 3501 §6.1.2) and CHECK (§6.4.1): nothing to do; what changed in the selected folder
 * is said after the handler, as after every command (session.ts).
 */
import { ok, type CommandSpec } from '../command.js';

export const noop: CommandSpec = {
  name: 'NOOP',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async handle() {
    return ok('NOOP terminé / NOOP completed');
  },
};

/** every change is already durable when made: there is nothing to checkpoint */
export const check: CommandSpec = {
  name: 'CHECK',
  states: ['selected'],
  async handle() {
    return ok('CHECK terminé / CHECK completed');
  },
};
