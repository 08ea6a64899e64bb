/**
 * With trust.requireClientCert, the MX hears only operators whose certificate (from the trusted
 * CA) names a domain of the trust space; the TLS handshake itself refuses other CAs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { compose, submit } from '../../src/pipeline/submit.js';
import type { Outcome } from '../../src/pipeline/types.js';
import { sandbox } from '../helpers/cli.js';
import { COLLEAGUE, REMOTE_DOCTOR, provisionWorld } from '../helpers/world.js';

let gateway: Gateway;
beforeAll(async () => {
  const box = sandbox();
  await provisionWorld(box);
  const env = { ...box.env, MSS_LOG_LEVEL: 'silent', MSS_SMTP_PORT: '0', MSS_SUBMISSION_PORT: '0', MSS_HTTP_PORT: '0' };
  gateway = await startGateway(loadConfig({ env, overrides: { trust: { requireClientCert: true } } }));
});
afterAll(async () => {
  await gateway?.stop();
});

function fromPeer(certificate?: { authorized: boolean; names: string[] }): Promise<Outcome> {
  return submit(gateway.pipeline, { origin: 'smtp-mx', address: REMOTE_DOCTOR, client: { ip: '127.0.0.1', certificate } }, [COLLEAGUE], () =>
    compose({ from: REMOTE_DOCTOR, to: COLLEAGUE, subject: 'Avis', text: 'x' }),
  );
}

describe('client certificates of other operators', () => {
  it('accepts a verified certificate naming a host of a trusted domain', async () => {
    expect((await fromPeer({ authorized: true, names: ['mx.ch-lyon.mssante.fr'] })).accepted).toBe(true);
  });

  it.each([
    ['no certificate', undefined],
    ['a certificate the CA did not sign', { authorized: false, names: ['mx.ch-lyon.mssante.fr'] }],
    ['a certificate naming a domain outside the trust space', { authorized: true, names: ['mx.example.com'] }],
  ])('refuses %s with the reason', async (_label, certificate) => {
    const outcome = await fromPeer(certificate);
    expect(outcome.accepted).toBe(false);
    if (!outcome.accepted) {
      expect(outcome.refusal.code).toBe('SENDER_NOT_TRUSTED');
      expect(outcome.refusal.detail).toMatch(/client certificate .* is not one of the trust space/);
    }
  });
});
