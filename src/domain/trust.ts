/**
 * The trust space between operators, and what a peer's certificate lets it say.
 *
 * A certificate speaks for the domain D when its subject CN or one of its DNS names is D itself
 * or a host directly under D (`mx.ch-lyon.mssante.fr` speaks for `ch-lyon.mssante.fr`, not for
 * `mssante.fr`), and for every domain the operator attached to one of its names explicitly (an
 * operator hosting several organisations' domains behind one certificate). It speaks only for
 * domains of the trust space: a certificate naming an untrusted domain speaks for nothing.
 */

/** The names a certificate carries and the domains attached to them by the operator. */
export interface PeerFacts {
  /** subject CN and DNS subject-alternative names, lower-cased */
  names: string[];
  /** domains attached to one of these names (`mssgw trust attach`) */
  attached: string[];
}

/** The domains a certificate name stands for by itself: the name, and its parent for a host name. */
export function domainsOfName(name: string): string[] {
  const clean = name.trim().toLowerCase().replace(/\.$/, '');
  // A wildcard `*.D` names the hosts directly under D: it speaks for D.
  if (clean.startsWith('*.')) return wellFormed(clean.slice(2)) ? [clean.slice(2)] : [];
  if (!wellFormed(clean)) return [];
  const labels = clean.split('.');
  return labels.length > 2 ? [clean, labels.slice(1).join('.')] : [clean];
}

function wellFormed(domain: string): boolean {
  const labels = domain.split('.');
  return labels.length >= 2 && labels.every((l) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(l));
}

/** Whether the peer may speak for `domain` (the caller checks that the domain is trusted). */
export function speaksFor(peer: PeerFacts, domain: string): boolean {
  const wanted = domain.toLowerCase();
  return peer.attached.includes(wanted) || peer.names.some((n) => domainsOfName(n).includes(wanted));
}

/** Every domain the certificate could speak for, before the trust list is consulted. */
export function candidateDomains(peer: PeerFacts): string[] {
  return [...new Set([...peer.names.flatMap(domainsOfName), ...peer.attached])];
}
