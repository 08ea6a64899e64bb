/**
 * Bounds on what an attachment may cost us to check. A zip or an XML file is refused as soon as
 * one of them is crossed, so a hostile attachment costs bounded time and memory. The message
 * bounds hold across all its attachments (budget.ts): many zips each within the per-zip bounds
 * must not add up to gigabytes.
 */
export interface DocumentLimits {
  /** entries in one zip (files and folders) */
  maxZipEntries: number;
  /** uncompressed bytes of one zip entry */
  maxEntryBytes: number;
  /** uncompressed bytes of all the entries of one zip */
  maxTotalUncompressedBytes: number;
  /** uncompressed / compressed bytes of one entry (see RATIO_FLOOR_BYTES in zip.ts) */
  maxCompressionRatio: number;
  /** bytes of one XML file (METADATA.XML or a CDA) */
  maxXmlBytes: number;
  /** element nesting of one XML file */
  maxXmlDepth: number;
  /** zip entries of all the attachments of one message: the per-zip bounds alone multiply */
  maxMessageEntries: number;
  /** uncompressed bytes of all the zips of one message */
  maxMessageInflatedBytes: number;
  /** milliseconds that checking the attachments of one message may take */
  maxMessageCheckMs: number;
}

const MB = 1024 * 1024;

export const DEFAULT_DOCUMENT_LIMITS: Readonly<DocumentLimits> = Object.freeze({
  maxZipEntries: 100,
  maxEntryBytes: 20 * MB,
  maxTotalUncompressedBytes: 50 * MB,
  maxCompressionRatio: 100,
  maxXmlBytes: 15 * MB,
  maxXmlDepth: 256,
  // A message holds at most 10 MB of attachments: honest XDMs of that size (PDFs, compressed
  // CDA XML) inflate to a few tens of MB, and every check of them ends within a few seconds.
  maxMessageEntries: 1000,
  maxMessageInflatedBytes: 100 * MB,
  maxMessageCheckMs: 20_000,
});

/** The defaults overridden by the given values; a bound that is not a positive number is refused. */
export function resolveLimits(overrides: Partial<DocumentLimits> = {}): DocumentLimits {
  const limits: DocumentLimits = { ...DEFAULT_DOCUMENT_LIMITS };
  for (const key of Object.keys(limits) as (keyof DocumentLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`document limit ${key} must be a positive number, got ${String(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}
