/**
 * Document-check benchmark: validations per second of a ~1 MB and a ~9 MB IHE XDM (an N1 whose PDF
 * is padded with seeded pseudo-random bytes, so the zip cannot shrink it), and the peak RSS.
 * Run alone with `npx tsx bench/documents.ts`, or through `npm run bench -- documents`.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { MAIN_INS, buildPdf, buildXdm } from '../fixtures/builders.js';
import { checkAttachments } from '../src/documents/check.js';

const MB = 1024 * 1024;
/** Each case runs at least this long, and at least MIN_RUNS times, for a stable rate. */
const MIN_MILLISECONDS = 2000;
const MIN_RUNS = 5;

async function buildCase(pdfBytes: number, seed: number): Promise<Buffer> {
  const pdf = buildPdf({ lines: ['Compte rendu (benchmark)'], paddingBytes: pdfBytes, seed });
  return buildXdm({ documents: [{ cda: { typeCode: '11490-0', title: 'Compte rendu (benchmark)', body: { pdf } } }] });
}

async function rate(content: Buffer): Promise<number> {
  const attachment = { filename: 'IHE_XDM.ZIP', contentType: 'application/zip', content };
  const options = { citizenRecipient: true, recipientIns: MAIN_INS };
  // One warm-up run, and a check that the case really is valid: a refusal would measure nothing.
  const warmUp = await checkAttachments([attachment], options);
  if (warmUp.refusal || warmUp.documents.length !== 1) throw new Error(`benchmark document refused: ${warmUp.refusal?.message}`);
  let runs = 0;
  const start = performance.now();
  while (runs < MIN_RUNS || performance.now() - start < MIN_MILLISECONDS) {
    await checkAttachments([attachment], options);
    runs++;
  }
  return (runs * 1000) / (performance.now() - start);
}

export async function benchDocuments(): Promise<Record<string, number>> {
  // Base64 in the CDA costs 4/3 and deflate wins most of it back: the zip is about the PDF's size.
  const small = await buildCase(1 * MB - 8 * 1024, 1);
  const large = await buildCase(9 * MB - 8 * 1024, 9);
  // Building the cases costs memory too: the RSS before validating tells it apart from the peak.
  const rssBeforeMb = process.memoryUsage().rss / MB;
  const results: Record<string, number> = {
    xdm_1mb_bytes: small.length,
    xdm_1mb_validations_per_second: await rate(small),
    xdm_9mb_bytes: large.length,
    xdm_9mb_validations_per_second: await rate(large),
    rss_before_validations_mb: rssBeforeMb,
    // maxRSS is in kibibytes: the process's high-water mark, building included
    peak_rss_mb: (process.resourceUsage().maxRSS * 1024) / MB,
  };
  const rows = [
    ['case', 'zip size (MB)', 'validations/s'],
    ['XDM ~1 MB', (small.length / MB).toFixed(2), results.xdm_1mb_validations_per_second!.toFixed(1)],
    ['XDM ~9 MB', (large.length / MB).toFixed(2), results.xdm_9mb_validations_per_second!.toFixed(1)],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
  console.log(`RSS before validating: ${rssBeforeMb.toFixed(1)} MB; peak RSS: ${results.peak_rss_mb!.toFixed(1)} MB`);
  return results;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchDocuments();
}
