/**
 * The client a failed login is counted against. An IPv4 address counts as itself; an IPv6
 * client counts by its /64, because one subscriber line gets a whole /64 and could otherwise
 * take a fresh address for every guess.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';

export const UNKNOWN_CLIENT = 'unknown';

/** the eight 16-bit groups of an IPv6 address, or undefined when it is not one */
function ipv6Groups(text: string): number[] | undefined {
  let head = text;
  const tail: number[] = [];
  // a trailing dotted quad (::ffff:192.0.2.1) is the last two groups
  const quad = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (quad) {
    if (!isIPv4(quad[2]!)) return undefined;
    const [a, b, c, d] = quad[2]!.split('.').map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    head = quad[1]!.endsWith('::') ? quad[1]! : quad[1]!.slice(0, -1);
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const known = left.length + right.length + tail.length;
  if (left.some(Number.isNaN) || right.some(Number.isNaN)) return undefined;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  return [...left, ...Array<number>(8 - known).fill(0), ...right, ...tail];
}

/** `192.0.2.7` → itself; `::ffff:192.0.2.7` → `192.0.2.7`; `2001:db8:0:1::5` → `2001:db8:0:1::/64` */
export function clientKey(ip: string): string {
  const text = ip.trim().toLowerCase().replace(/\/64$/, '');
  if (isIPv4(text)) return text;
  const groups = isIP(text) === 6 ? ipv6Groups(text) : undefined;
  if (!groups) return UNKNOWN_CLIENT;
  if (groups.slice(0, 6).every((g, i) => g === (i === 5 ? 0xffff : 0))) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** whether the text names a client as an operator may type it (an IP address or a listed /64) */
export function isClientText(text: string): boolean {
  return clientKey(text) !== UNKNOWN_CLIENT;
}

/**
 * A list of client addresses: IP addresses or CIDR prefixes. Used for the clients never blocked
 * as a whole (a hospital's NAT, the webmail's proxy) and those allowed clear-text IMAP logins.
 */
export function clientList(entries: string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (ip) => {
    const key = clientKey(ip);
    if (key === UNKNOWN_CLIENT) return false;
    return key.endsWith('/64') ? list.check(ip.trim().toLowerCase(), 'ipv6') : list.check(key, 'ipv4');
  };
}
