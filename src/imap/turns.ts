/**
 * Long loops over a folder (SEARCH's candidates, VANISHED over a UID range) give the other
 * sessions of the process their turn every so often: the store's reads complete synchronously,
 * so without this one large folder would hold the event loop for the whole command.
 */

/** steps between two turns given */
export const STEPS_PER_TURN = 1000;

/** resolves after the I/O and timers waiting now have run */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
