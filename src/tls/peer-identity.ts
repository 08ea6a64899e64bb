/** Reads the names a verified client certificate carries (e-mail and DNS alt names, CN). */
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface PeerIdentity {
  authorized: boolean;
  names: string[];
}

export function peerIdentity(socket: TLSSocket): PeerIdentity {
  const cert = socket.getPeerCertificate() as PeerCertificate | undefined;
  if (!cert || Object.keys(cert).length === 0) return { authorized: false, names: [] };
  const names = new Set<string>();
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const match = /^\s*(?:email|DNS):(.+)$/.exec(part);
    if (match) names.add(match[1]!.trim().toLowerCase());
  }
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') names.add(cn.toLowerCase());
  return { authorized: socket.authorized, names: [...names] };
}
