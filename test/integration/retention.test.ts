/**
 * Retention through the real store and files: expired messages and their files go, documents
 * filed in the record stay, traces go after their delay, unused mailboxes are flagged.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { applyRetention } from '../../src/jobs/retention.js';
import { compose, submit } from '../../src/pipeline/submit.js';
import { ROOT, mssgw, sandbox, type Sandbox } from '../helpers/cli.js';
import { COLLEAGUE, DOCTOR, INS, citizen, provisionWorld } from '../helpers/world.js';

const DAY = 24 * 3600 * 1000;
const JEANNE = citizen(INS.jeanne);

let box: Sandbox;
let gateway: Gateway;
beforeAll(async () => {
  box = sandbox();
  await provisionWorld(box);
  const config = loadConfig({
    env: { ...box.env, MSS_LOG_LEVEL: 'silent', MSS_SMTP_PORT: '0', MSS_SUBMISSION_PORT: '0', MSS_IMAP_PORT: '0', MSS_IMAPS_PORT: '0', MSS_HTTP_PORT: '0' },
  });
  gateway = await startGateway(config);
  const send = (to: string, attachments: Array<{ filename: string; content: Buffer }> = []) =>
    submit(gateway.pipeline, { origin: 'submission', address: DOCTOR, authenticatedAs: DOCTOR, client: {} }, [to], () =>
      compose({ from: DOCTOR, to, subject: 'Ancien message', text: 'x', attachments }),
    );
  expect((await send(COLLEAGUE)).accepted).toBe(true);
  const prescription = readFileSync(path.join(ROOT, 'fixtures/documents/presc-n1.zip'));
  expect((await send(JEANNE, [{ filename: 'IHE_XDM.ZIP', content: prescription }])).accepted).toBe(true);
});
afterAll(async () => {
  await gateway?.stop();
});

const file = (id: string) => path.join(box.dataDir, 'blobs', id.slice(0, 6), id);

describe('retention', () => {
  it('changes nothing before the delays, and nothing on a dry run', async () => {
    const now = await applyRetention(gateway, { dryRun: false });
    expect(now).toMatchObject({ messages: 0, files: 0, traces: 0 });
    const later = await applyRetention(gateway, { dryRun: true, now: new Date(Date.now() + 100 * DAY) });
    expect(later).toMatchObject({ messages: 2, dryRun: true });
    expect(await gateway.store.messages.list(COLLEAGUE, 'INBOX')).toHaveLength(1);
  });

  it('removes expired messages and their files, and keeps what the record filed', async () => {
    const [message] = await gateway.store.messages.list(JEANNE, 'INBOX');
    const [document] = await gateway.store.record.list(JEANNE);
    expect(existsSync(file(message!.blobId))).toBe(true);

    const result = await applyRetention(gateway, { dryRun: false, now: new Date(Date.now() + 100 * DAY) });
    expect(result).toMatchObject({ messages: 2, files: 2, dryRun: false });
    expect(await gateway.store.messages.list(JEANNE, 'INBOX')).toEqual([]);
    expect(await gateway.store.messages.list(COLLEAGUE, 'INBOX')).toEqual([]);
    expect(existsSync(file(message!.blobId))).toBe(false);

    expect(await gateway.store.record.list(JEANNE)).toHaveLength(1);
    expect(existsSync(file(document!.cdaBlobId))).toBe(true);
    expect(existsSync(file(document!.pdfBlobId!))).toBe(true);
  });

  it('removes traces after their delay and flags mailboxes unused for a year', async () => {
    const result = await applyRetention(gateway, { dryRun: false, now: new Date(Date.now() + 400 * DAY) });
    expect(result.traces).toBeGreaterThan(0);
    expect(result.inactive).toEqual(expect.arrayContaining([DOCTOR, COLLEAGUE, JEANNE]));
    // Only the purge's own line is left.
    expect((await gateway.store.audit.recent(10)).map((r) => r.action)).toEqual(['retention.purge']);
  });

  it('is what `mssgw purge` does', async () => {
    const dry = await mssgw(box, ['purge', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ messages: 0, dryRun: true });
    const run = await mssgw(box, ['purge']);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^removed 0 expired messages \(0 files\) and \d+ old traces/);
  });
});
