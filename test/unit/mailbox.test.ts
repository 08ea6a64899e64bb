import { describe, expect, it } from 'vitest';
import { hasRecord } from '../../src/domain/mailbox.js';

describe('who has a health record', () => {
  it('is a citizen with an INS, never a professional mailbox', () => {
    expect(hasRecord({ kind: 'CITIZEN', ins: '184127645108946' })).toBe(true);
    expect(hasRecord({ kind: 'CITIZEN', ins: null })).toBe(false);
    for (const kind of ['PER', 'ORG', 'APP'] as const) expect(hasRecord({ kind, ins: null })).toBe(false);
  });
});
