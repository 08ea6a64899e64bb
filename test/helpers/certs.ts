/** The certificates made once for the whole run (setup/certificates.ts), copied into a sandbox. */
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { PEER_HOST } from '../setup/certificates.js';

export { PEER_HOST };

/** Copies the run's development CA and server certificate into certDir. */
export function copyTestCertificates(certDir: string): void {
  cpSync(path.join(inject('testCertificates'), 'certs'), certDir, { recursive: true });
}

/** The client certificate of the other operator's MX (PEER_HOST), signed by the run's CA. */
export function peerCertificate(): { cert: Buffer; key: Buffer } {
  const dir = path.join(inject('testCertificates'), 'peer');
  return { cert: readFileSync(path.join(dir, `${PEER_HOST}.crt`)), key: readFileSync(path.join(dir, `${PEER_HOST}.key`)) };
}
