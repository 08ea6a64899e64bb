/** The parsed-MIME cache of the SQLite store is bounded by the size of what it holds, not by a count. */
import { describe, expect, it } from 'vitest';
import { MIME_CACHE_BYTES, SizedCache } from '../../../src/store/sqlite/message-reads.js';

describe('parsed MIME cache', () => {
  it('drops the least recently used entries once their stored size passes the cap', () => {
    const cache = new SizedCache<string>(1000);
    cache.set('a', 'A', 200);
    cache.set('b', 'B', 200);
    cache.set('c', 'C', 200);
    expect(cache.get('a')).toBe('A'); // used again: b is now the oldest
    cache.set('d', 'D', 250);
    cache.set('e', 'E', 250);
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd', 'e'].map((k) => cache.get(k))).toEqual(['A', 'C', 'D', 'E']);
  });

  it('holds many small indexes but few large ones, and never one over a quarter of the cap', () => {
    const cache = new SizedCache<number>(MIME_CACHE_BYTES);
    for (let i = 0; i < 10_000; i++) cache.set(`small-${i}`, i, 1000);
    expect(cache.get('small-9999')).toBe(9999);
    for (let i = 0; i < 100; i++) cache.set(`large-${i}`, i, 1024 * 1024);
    expect(cache.bytes).toBeLessThanOrEqual(MIME_CACHE_BYTES);
    cache.set('huge', 1, MIME_CACHE_BYTES / 2);
    expect(cache.get('huge')).toBeUndefined();
  });
});
