/** NAMESPACE (RFC 2342): one personal namespace, no prefix, `/` between levels. */
import { ok, type CommandSpec } from '../command.js';
import { FOLDER_DELIMITER } from '../../store/types.js';

export const namespace: CommandSpec = {
  name: 'NAMESPACE',
  states: ['authenticated', 'selected'],
  async handle(ctx) {
    ctx.untaggedText(`NAMESPACE (("" "${FOLDER_DELIMITER}")) NIL NIL`);
    return ok('NAMESPACE terminé / NAMESPACE completed');
  },
};
