import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config.js';
import { findRoute, parseRoute } from '../../../src/relay/routes.js';

const relay = { ...defaultConfig().relay, peerPort: 2525, routes: { 'fixed.test': 'mx.fixed.test:3025', 'noport.test': 'mx.noport.test' } };
const dnsError = (code: string) => () => Promise.reject(Object.assign(new Error(code), { code }));

describe('relay routes', () => {
  it('parses host and host:port', () => {
    expect(parseRoute('127.0.0.1:2600', 2525)).toEqual({ host: '127.0.0.1', port: 2600 });
    expect(parseRoute('mx.example.fr', 2525)).toEqual({ host: 'mx.example.fr', port: 2525 });
  });

  it('uses a configured route before DNS, with its port or the peer port', async () => {
    const lookup = () => Promise.reject(new Error('DNS must not be asked'));
    expect(await findRoute('fixed.test', relay, lookup)).toEqual({ ok: true, hops: [{ host: 'mx.fixed.test', port: 3025 }] });
    expect(await findRoute('noport.test', relay, lookup)).toEqual({ ok: true, hops: [{ host: 'mx.noport.test', port: 2525 }] });
  });

  it('orders MX hosts by preference, on the peer port', async () => {
    const lookup = async () => [
      { exchange: 'b.peer.test', priority: 20 },
      { exchange: 'a.peer.test.', priority: 10 },
    ];
    expect(await findRoute('peer.test', relay, lookup)).toEqual({
      ok: true,
      hops: [
        { host: 'a.peer.test', port: 2525 },
        { host: 'b.peer.test', port: 2525 },
      ],
    });
  });

  it('falls back to the domain itself without MX, and tells lasting from passing DNS failures', async () => {
    expect(await findRoute('peer.test', relay, dnsError('ENODATA'))).toEqual({ ok: true, hops: [{ host: 'peer.test', port: 2525 }] });
    expect(await findRoute('peer.test', relay, dnsError('ENOTFOUND'))).toMatchObject({ ok: false, permanent: true, reply: { enhanced: '5.4.4' } });
    expect(await findRoute('peer.test', relay, dnsError('ETIMEOUT'))).toMatchObject({ ok: false, permanent: false, reply: { enhanced: '4.4.3' } });
    expect(await findRoute('peer.test', relay, async () => [{ exchange: '', priority: 0 }])).toMatchObject({ ok: false, permanent: true });
  });
});
