/**
 * The MX (trust.requireClientCert, the default) hears only operators whose certificate (from the
 * trusted CA) names a domain of the trust space, and only for the domains it speaks for; the TLS
 * handshake itself refuses other CAs.
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
  const env = { ...box.env, MSS_LOG_LEVEL: 'silent', MSS_SMTP_PORT: '0', MSS_SUBMISSION_PORT: '0', MSS_IMAP_PORT: '0', MSS_IMAPS_PORT: '0', MSS_HTTP_PORT: '0' };
  gateway = await startGateway(loadConfig({ env, overrides: { trust: { requireClientCert: true } } }));
});
afterAll(async () => {
  await gateway?.stop();
});

function fromPeer(certificate?: { authorized: boolean; names: string[] }): Promise<Outcome> {
  return submit(gateway.pipeline, { origin: 'mx', address: REMOTE_DOCTOR, client: { ip: '127.0.0.1', certificate } }, [COLLEAGUE], () =>
    compose({ from: REMOTE_DOCTOR, to: COLLEAGUE, subject: 'Avis', text: 'x' }),
  );
}

describe('client certificates of other operators', () => {
  it('accepts a verified certificate naming a host of a trusted domain', async () => {
    expect((await fromPeer({ authorized: true, names: ['mx.ch-lyon.mssante.fr'] })).accepted).toBe(true);
  });

  it.each([
    ['no certificate', undefined, /no client certificate from the trusted CA \(presented: none\)/],
    ['a certificate the CA did not sign', { authorized: false, names: ['mx.ch-lyon.mssante.fr'] }, /no client certificate from the trusted CA \(presented: mx\.ch-lyon/],
    ['a certificate naming a domain outside the trust space', { authorized: true, names: ['mx.example.com'] }, /certificate \(mx\.example\.com\) names no domain of the trust space/],
    ["a professional's certificate (an e-mail name, no domain)", { authorized: true, names: ['dr.who@ch-lyon.mssante.fr'] }, /names no domain of the trust space/],
  ])('refuses %s with the reason', async (_label, certificate, reason) => {
    const outcome = await fromPeer(certificate);
    expect(outcome.accepted).toBe(false);
    if (!outcome.accepted) {
      expect(outcome.refusal.code).toBe('SENDER_NOT_TRUSTED');
      expect(outcome.refusal.detail).toMatch(reason);
    }
  });

  it("refuses a trusted operator's certificate for another trusted operator's sender", async () => {
    await gateway.store.trust.add('chu-nantes.mssante.fr', 'test');
    const outcome = await fromPeer({ authorized: true, names: ['mx.chu-nantes.mssante.fr'] });
    expect(outcome.accepted ? undefined : outcome.refusal.code).toBe('DOMAIN_NOT_CERTIFIED');
  });
});
