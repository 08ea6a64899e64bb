import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { RawSmtp } from '../helpers/raw-smtp.js';
import { startServer, type RunningServer } from '../helpers/server.js';

describe('mssgw serve', () => {
  let box: Sandbox;
  let server: RunningServer;
  beforeAll(async () => {
    box = sandbox();
    server = await startServer(box);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('prints the ready line with the ports it listens on, and answers /healthz', async () => {
    expect(server.ports.http).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${server.ports.http}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('exposes Prometheus metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${server.ports.http}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('mssgw_process_resident_memory_bytes');
  });

  it('created its data and development certificates on first start', () => {
    expect(existsSync(path.join(box.dataDir, 'gateway.sqlite'))).toBe(true);
    expect(existsSync(path.join(box.certDir, 'server.crt'))).toBe(true);
  });

  it('answers an unknown path with a JSON 404', async () => {
    const res = await fetch(`http://127.0.0.1:${server.ports.http}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('listens on both SMTP doors', () => {
    expect(server.ports.smtp).toBeGreaterThan(0);
    expect(server.ports.submission).toBeGreaterThan(0);
  });

  it('on SIGTERM, tells an open SMTP session it is shutting down and exits 0', async () => {
    const session = await RawSmtp.connect(server.ports.submission);
    await session.command('EHLO client.test');
    const code = await server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(await session.waitClosed()).toBe(true);
    session.close();
  });

  it('refuses to start on a wrong configuration, naming the key', async () => {
    const bad = startServer(sandbox(), { limits: { maxAttachmentBytes: 'ten' } });
    await expect(bad).rejects.toThrow(/limits\.maxAttachmentBytes/);
  });
});
