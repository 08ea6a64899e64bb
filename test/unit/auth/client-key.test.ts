/** Which client a failed login counts against: IPv4 as itself, IPv6 by its /64; exemptions. */
import { describe, expect, it } from 'vitest';
import { UNKNOWN_CLIENT, clientKey, clientList, isClientText } from '../../../src/auth/client-key.js';
import { blockMs } from '../../../src/auth/penalty.js';

describe('client keys', () => {
  it('counts IPv4 as itself and an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey(' ::ffff:192.0.2.7 ')).toBe('192.0.2.7');
    expect(clientKey('0:0:0:0:0:ffff:c000:0207')).toBe('192.0.2.7');
  });

  it('counts every address of one IPv6 /64 as one client, written one way', () => {
    const key = '2001:db8:0:1::/64';
    for (const ip of ['2001:db8:0:1::5', '2001:DB8:0:1:ffff:1:2:3', '2001:0db8:0000:0001::', '2001:db8:0:1:0:0:0:9', '2001:db8:0:1::/64']) {
      expect(clientKey(ip)).toBe(key);
    }
    expect(clientKey('2001:db8:0:2::5')).toBe('2001:db8:0:2::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1:2:3.4.5.6')).toBe('fe80:0:0:0::/64');
  });

  it('has one key for anything that is not an IP address', () => {
    for (const text of ['', 'localhost', '1.2.3', '2001:db8::1::2', '12345::', '1:2:3:4:5:6:7:8:9']) {
      expect(clientKey(text)).toBe(UNKNOWN_CLIENT);
      expect(isClientText(text)).toBe(false);
    }
    expect(isClientText('192.0.2.7')).toBe(true);
    expect(isClientText('dr.house@hopital.mssante.fr')).toBe(false);
  });

  it('exempts the listed addresses and prefixes, IPv4 and IPv6', () => {
    const exempt = clientList(['10.0.0.0/8', '192.0.2.9', '2001:db8:aa::/48']);
    expect(exempt('10.20.30.40')).toBe(true);
    expect(exempt('::ffff:10.1.1.1')).toBe(true);
    expect(exempt('192.0.2.9')).toBe(true);
    expect(exempt('192.0.2.10')).toBe(false);
    expect(exempt('2001:db8:aa:5::1')).toBe(true);
    expect(exempt('2001:db8:ab::1')).toBe(false);
    expect(exempt('not an ip')).toBe(false);
  });
});

describe('penalty', () => {
  it('is free before the threshold, then doubles from the first block up to the cap', () => {
    const p = { maxFailures: 5, firstBlockMs: 60_000, maxBlockMs: 3_600_000 };
    expect([1, 4].map((n) => blockMs(n, p))).toEqual([0, 0]);
    expect([5, 6, 7, 8, 9, 10, 11, 12, 500].map((n) => blockMs(n, p) / 60_000)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });
});
