/**
 * SMTP benchmark: messages per second and MB/s accepted and stored through the submission door
 * (STARTTLS, AUTH, the whole pipeline, fsync before 250), for 10 KB and 100 KB messages with 1
 * and 10 concurrent sessions, and the server's peak RSS. The server is the real `mssgw serve`
 * in its own process, on loopback, with a fresh data folder.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { sandbox } from '../test/helpers/cli.js';
import { startServer } from '../test/helpers/server.js';
import { DOCTOR, PASSWORD, citizen, INS, provisionWorld } from '../test/helpers/world.js';
import { initCertificates } from '../src/tls/certificates.js';

const SECONDS_PER_CASE = 8;

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function body(bytes: number): string {
  // Realistic text: lines of 76 characters, like a letter or a report.
  const line = 'Compte rendu de consultation : examen clinique sans particularité notable. ';
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const text = `${i} ${line}`.slice(0, 76);
    lines.push(text);
    size += text.length + 2;
  }
  return lines.join('\r\n');
}

async function runCase(port: number, ca: Buffer, sessions: number, bytes: number) {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: sessions,
    maxMessages: Infinity,
    host: '127.0.0.1',
    port,
    secure: false,
    requireTLS: true,
    auth: { user: DOCTOR, pass: PASSWORD },
    tls: { ca, servername: 'localhost' },
  });
  const text = body(bytes);
  // The message is built once: the client must not be what is measured.
  const raw = Buffer.from(
    `From: ${DOCTOR}\r\nTo: ${citizen(INS.jeanne)}\r\nSubject: bench ${bytes}\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}\r\n`,
  );
  const mail = { envelope: { from: DOCTOR, to: [citizen(INS.jeanne)] }, raw };
  // Warm-up: opens the sessions and fills the caches.
  await Promise.all(Array.from({ length: sessions }, () => transport.sendMail(mail)));

  let sent = 0;
  let wireBytes = 0;
  const deadline = Date.now() + SECONDS_PER_CASE * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      while (Date.now() < deadline) {
        const info = await transport.sendMail(mail);
        if (!info.response?.startsWith('250')) throw new Error(`not accepted: ${info.response}`);
        sent++;
        wireBytes += raw.length;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  transport.close();
  return { perSecond: Math.round(sent / seconds), mbPerSecond: Math.round((wireBytes / seconds / 1e6) * 10) / 10 };
}

export async function benchSmtp(): Promise<Record<string, number | string>> {
  const box = sandbox();
  initCertificates(box.certDir, 'localhost', '127.0.0.1');
  await provisionWorld(box);
  const server = await startServer(box, { log: { level: 'warn' } });
  const ca = readFileSync(path.join(box.certDir, 'ca.crt'));
  const figures: Record<string, number | string> = {};
  try {
    process.stdout.write('SMTP submission → mailbox (TLS, AUTH, pipeline, fsync before 250)\n');
    process.stdout.write('size    sessions  msg/s   MB/s\n');
    for (const bytes of [10 * 1024, 100 * 1024]) {
      for (const sessions of [1, 10]) {
        const r = await runCase(server.ports.submission, ca, sessions, bytes);
        const label = `${bytes / 1024}KB_x${sessions}`;
        figures[`${label}_msg_per_s`] = r.perSecond;
        figures[`${label}_MB_per_s`] = r.mbPerSecond;
        process.stdout.write(`${`${bytes / 1024} KB`.padEnd(8)}${String(sessions).padEnd(10)}${String(r.perSecond).padEnd(8)}${r.mbPerSecond}\n`);
      }
    }
    figures.server_peak_rss_MiB = peakRssMiB(server.process.pid!);
    process.stdout.write(`server peak RSS: ${figures.server_peak_rss_MiB} MiB\n`);
  } finally {
    await server.stop();
  }
  return figures;
}
