import { describe, expect, it } from 'vitest';
import { groupTransactions } from '../../../src/relay/groups.js';
import type { QueuedRelay } from '../../../src/store/types.js';

let id = 0;
function row(blobId: string, recipient: string, sender = 'dr@local.test'): QueuedRelay {
  const now = new Date();
  return {
    id: ++id,
    blobId,
    sender,
    recipient,
    domain: recipient.split('@')[1]!,
    envelopeId: null,
    attempts: 0,
    createdAt: now,
    expiresAt: now,
    lastError: null,
  };
}

describe('relay transactions', () => {
  it('groups recipients of the same message and domain, up to the recipient limit', () => {
    const rows = [row('a', 'x@peer.test'), row('a', 'y@peer.test'), row('a', 'z@other.test'), row('b', 'x@peer.test'), row('a', 'w@peer.test')];
    const groups = groupTransactions(rows, 2);
    expect(groups.map((g) => g.rows.map((r) => r.recipient))).toEqual([
      ['x@peer.test', 'y@peer.test'],
      ['z@other.test'],
      ['x@peer.test'],
      ['w@peer.test'],
    ]);
  });

  it('never puts the same recipient twice in one transaction, nor mixes senders', () => {
    const groups = groupTransactions([row('a', 'x@peer.test'), row('a', 'X@peer.test'), row('a', 'y@peer.test', 'other@local.test')], 10);
    expect(groups).toHaveLength(3);
  });
});
