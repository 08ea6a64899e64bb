/**
 * Certificates are made once per test run, not once per test: a development CA with the
 * gateway's server certificate, and the client certificate another operator of the trust space
 * presents to our MX. Each world copies them into its own sandbox (helpers/certs.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { initCertificates, issueCertificate } from '../../src/tls/certificates.js';

/** The MX host name of the other operator of the test world (helpers/world.ts). */
export const PEER_HOST = 'mx.ch-lyon.mssante.fr';

let dir: string | undefined;

export function setup(project: TestProject): void {
  dir = mkdtempSync(path.join(tmpdir(), 'mssgw-test-certs-'));
  const certDir = path.join(dir, 'certs');
  initCertificates(certDir, 'localhost', '127.0.0.1');
  issueCertificate(certDir, PEER_HOST, false, path.join(dir, 'peer'));
  project.provide('testCertificates', dir);
}

export function teardown(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    testCertificates: string;
  }
}
