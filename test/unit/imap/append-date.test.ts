import { describe, expect, it } from 'vitest';
import { parseDateTime } from '../../../src/imap/commands/append.js';

describe('APPEND date-time (RFC 3501 §9)', () => {
  it('reads the zone and a space-padded day', () => {
    expect(parseDateTime('17-Jul-1996 02:44:25 -0700')?.toISOString()).toBe('1996-07-17T09:44:25.000Z');
    expect(parseDateTime(' 2-Jan-2024 23:59:59 +0130')?.toISOString()).toBe('2024-01-02T22:29:59.000Z');
    expect(parseDateTime('29-feb-2024 00:00:00 +0000')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it.each(['31-Feb-2024 10:00:00 +0000', '29-Feb-2023 10:00:00 +0000', '1-Foo-2024 10:00:00 +0000', '01-Jan-2024 24:00:00 +0000', '01-Jan-2024 10:00 +0000', '01-Jan-2024 10:00:00 +0060', '2024-01-01T10:00:00Z'])(
    'refuses %s',
    (text) => {
      expect(parseDateTime(text)).toBeUndefined();
    },
  );
});
