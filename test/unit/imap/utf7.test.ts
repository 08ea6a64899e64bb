import { describe, expect, it } from 'vitest';
import { decodeMailboxName, encodeMailboxName, Utf7Error } from '../../../src/imap/utf7.js';

describe('modified UTF-7 mailbox names (RFC 3501 §5.1.3)', () => {
  it('decodes and encodes the examples of the RFCs', () => {
    expect(decodeMailboxName('~peter/mail/&U,BTFw-/&ZeVnLIqe-')).toBe('~peter/mail/台北/日本語');
    expect(encodeMailboxName('~peter/mail/台北/日本語')).toBe('~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    expect(decodeMailboxName('Hi Mom -&Jjo--!')).toBe('Hi Mom -☺-!');
    expect(encodeMailboxName('Hi Mom -☺-!')).toBe('Hi Mom -&Jjo--!');
  });

  it('writes & as "&-" and leaves printable ASCII alone', () => {
    expect(encodeMailboxName('R&D')).toBe('R&-D');
    expect(decodeMailboxName('R&-D')).toBe('R&D');
    const ascii = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(decodeMailboxName(encodeMailboxName(ascii))).toBe(ascii);
    expect(encodeMailboxName('Sent/2024 "old"')).toBe('Sent/2024 "old"');
  });

  it('round-trips French names, astral characters and every padding length', () => {
    for (const name of ['Reçus', 'Résultats/Biologie', 'Ordonnances & soins', 'é', 'éè', 'éèà', 'éèàù', '😀 urgent', 'a😀b€']) {
      const wire = encodeMailboxName(name);
      expect(wire).toMatch(/^[\x20-\x7e]*$/);
      expect(decodeMailboxName(wire)).toBe(name);
    }
    expect(encodeMailboxName('Reçus')).toBe('Re&AOc-us');
    expect(encodeMailboxName('😀')).toBe('&2D3eAA-');
    expect(decodeMailboxName(Buffer.from('Re&AOc-us'))).toBe('Reçus');
  });

  it('accepts adjacent shifts (non-canonical but unambiguous)', () => {
    expect(decodeMailboxName('&AOk-&AOg-')).toBe('éè');
  });

  it.each([
    ['8-bit byte', Buffer.from('Reçus', 'utf8')],
    ['control character', 'a\tb'],
    ['unterminated shift', 'Re&AOc'],
    ['character outside the alphabet', '&AO/-'],
    ['standard BASE64 "/" instead of ","', '&U/BTFw-'],
    ['leftover bits that are not zero', '&AOd-'],
    ['a partial character', '&AO-'],
    ['printable ASCII hidden in BASE64', '&AGE-'],
    ['a lone high surrogate', '&2D0-'],
    ['a lone low surrogate', '&3gA-'],
  ])('refuses a %s', (_what, wire) => {
    expect(() => decodeMailboxName(wire)).toThrow(Utf7Error);
  });
});
