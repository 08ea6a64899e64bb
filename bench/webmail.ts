/**
 * Webmail benchmark (issue 10): how heavy the first load is and how soon the inbox is usable
 * on a slow phone. Chromium (Debian's, through playwright-core) with the CPU throttled 4× and
 * the network of DevTools' classic "Slow 3G" profile (400 ms round trip, 400 kbit/s each way),
 * against the real `mssgw serve` holding an inbox of 30 messages:
 *   first load    bytes on the wire (compressed, headers excluded) of every request until the
 *                 inbox is shown, and the same uncompressed
 *   inbox usable  from navigation to the inbox's list shown and focusable, a session cookie set
 *                 (the person logged in earlier), median of --runs (default 3)
 *   login page    from navigation to the login form shown, without a session
 * Flags: --runs=N (1–9). Everything started here is stopped here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { initCertificates } from '../src/tls/certificates.js';
import { launchChromium, newContext } from '../test/helpers/browser.js';
import { sandbox } from '../test/helpers/cli.js';
import { startServer } from '../test/helpers/server.js';
import { DOCTOR, INS, PASSWORD, citizen, provisionWorld } from '../test/helpers/world.js';
import type { BrowserContext, Page } from 'playwright-core';

/** DevTools' classic Slow 3G (before its 2020 retuning): what "slow 3G" budgets are written against. */
const SLOW_3G = { offline: false, latency: 400, downloadThroughput: (400 * 1024) / 8, uploadThroughput: (400 * 1024) / 8 };
const CPU_SLOWDOWN = 4;
/** the inbox is usable once its first conversation can be opened */
const INBOX_READY = '.message-ligne a';
const LOGIN_READY = 'input[type="password"]';

interface Load {
  ms: number;
  encodedBytes: number;
  decodedBytes: number;
  requests: number;
}

async function throttled(context: BrowserContext): Promise<{ page: Page; traffic: () => { encoded: number; decoded: number; requests: number } }> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
  let encoded = 0;
  let decoded = 0;
  let requests = 0;
  const headerBytes = new Map<string, number>();
  cdp.on('Network.responseReceived', (e) => {
    // encodedDataLength counts headers too: the body alone is what the page weighs.
    headerBytes.set(e.requestId, (e.response as { encodedDataLength?: number }).encodedDataLength ?? 0);
    requests++;
  });
  cdp.on('Network.dataReceived', (e) => (decoded += e.dataLength));
  cdp.on('Network.loadingFinished', (e) => (encoded += Math.max(0, e.encodedDataLength - (headerBytes.get(e.requestId) ?? 0))));
  return { page, traffic: () => ({ encoded, decoded, requests }) };
}

async function measure(context: BrowserContext, url: string, ready: string): Promise<Load> {
  const { page, traffic } = await throttled(context);
  const start = performance.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector(ready, { state: 'visible', timeout: 60_000 });
  const ms = performance.now() - start;
  // What is still in flight for this screen (the event stream excepted) is counted too.
  await page.waitForLoadState('load');
  const t = traffic();
  await page.close();
  return { ms, encodedBytes: t.encoded, decodedBytes: t.decoded, requests: t.requests };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchWebmail(flags: string[]): Promise<Record<string, number | string>> {
  const runsFlag = flags.find((f) => f.startsWith('--runs='));
  const runs = Math.min(9, Math.max(1, Number(runsFlag?.split('=')[1] ?? 3) || 3));
  const box = sandbox();
  initCertificates(box.certDir, 'localhost', '127.0.0.1');
  await provisionWorld(box);
  const server = await startServer(box, { log: { level: 'warn' } });
  const browser = await launchChromium();
  try {
    const ca = readFileSync(path.join(box.certDir, 'ca.crt'));
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.ports.submission, secure: false, requireTLS: true, tls: { ca, servername: 'localhost' }, auth: { user: DOCTOR, pass: PASSWORD }, pool: true });
    for (let i = 0; i < 30; i++) {
      await transport.sendMail({ from: DOCTOR, to: citizen(INS.jeanne), subject: `Compte rendu de consultation n° ${i + 1}`, text: `Bonjour,\n\nVoici le compte rendu ${i + 1}.\n\nDr House` });
    }
    transport.close();
    const base = `http://127.0.0.1:${server.ports.http}`;

    const logins: Load[] = [];
    const inboxes: Load[] = [];
    for (let run = 0; run < runs; run++) {
      const anonymous = await newContext(browser, 360);
      logins.push(await measure(anonymous, `${base}/`, LOGIN_READY));
      await anonymous.close();

      const context = await newContext(browser, 360);
      // The session cookie of an earlier login, as the person who comes back finds it.
      const login = await context.request.post(`${base}/api/session`, { data: { address: citizen(INS.jeanne), password: PASSWORD } });
      if (login.status() !== 200) throw new Error(`login refused: ${login.status()}`);
      inboxes.push(await measure(context, `${base}/#/inbox`, INBOX_READY));
      await context.close();
    }
    const inbox = inboxes[0]!;
    const figures = {
      network: 'slow 3G (400 ms RTT, 400 kbit/s)',
      cpu_slowdown: CPU_SLOWDOWN,
      runs,
      first_load_KB_compressed: Math.round(inbox.encodedBytes / 102.4) / 10,
      first_load_KB_uncompressed: Math.round(inbox.decodedBytes / 102.4) / 10,
      first_load_requests: inbox.requests,
      inbox_usable_ms: Math.round(median(inboxes.map((l) => l.ms))),
      inbox_usable_ms_max: Math.round(Math.max(...inboxes.map((l) => l.ms))),
      login_page_ms: Math.round(median(logins.map((l) => l.ms))),
      login_page_KB_compressed: Math.round(logins[0]!.encodedBytes / 102.4) / 10,
    };
    process.stdout.write(
      [
        `Webmail first load, Chromium at 360 px, CPU ÷${CPU_SLOWDOWN}, ${figures.network}, ${runs} run(s)`,
        `  inbox (logged in): ${figures.first_load_KB_compressed} KB compressed (${figures.first_load_KB_uncompressed} KB uncompressed, ${figures.first_load_requests} requests), usable after ${figures.inbox_usable_ms} ms (max ${figures.inbox_usable_ms_max})`,
        `  login page: ${figures.login_page_KB_compressed} KB compressed, shown after ${figures.login_page_ms} ms`,
        '  bars (issue 10): first load under 100 KB compressed, inbox usable under 2 s',
        '',
      ].join('\n'),
    );
    return figures;
  } finally {
    await browser.close();
    await server.stop();
  }
}
