/**
 * Failed-login throttling, per address and per client IP: after `maxFailures` failures within
 * the window, further attempts are refused until the window has passed, whatever the password.
 * In memory: a restart forgives, which is acceptable against online guessing.
 */
export interface Throttle {
  blocked(address: string, ip: string): boolean;
  failed(address: string, ip: string): void;
  succeeded(address: string, ip: string): void;
}

export function createThrottle(maxFailures: number, windowMs: number, clock: () => number = Date.now): Throttle {
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const since = clock() - windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > since);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };
  const keys = (address: string, ip: string) => [`a:${address.toLowerCase()}`, `i:${ip}`];
  return {
    blocked: (address, ip) => keys(address, ip).some((k) => recent(k).length >= maxFailures),
    failed(address, ip) {
      for (const k of keys(address, ip)) failures.set(k, [...recent(k), clock()]);
    },
    succeeded(address) {
      // A success clears the address's count, not the IP's: one good password must not
      // reset the count of an IP that is guessing others.
      failures.delete(`a:${address.toLowerCase()}`);
    },
  };
}
