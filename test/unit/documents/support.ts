/** Shared by the document tests: reading fixture files and checking one attachment. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN_INS } from '../../../fixtures/builders.js';
import { FIXTURES_DIR } from '../../../fixtures/generate.js';
import { checkAttachments, type CheckOptions, type CheckResult } from '../../../src/documents/check.js';

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, name));
}

/** The usual case: a citizen (the main patient) receives the attachment. */
export const TO_CITIZEN: CheckOptions = { citizenRecipient: true, recipientIns: MAIN_INS };
export const TO_PROFESSIONAL: CheckOptions = { citizenRecipient: false };

export function checkOne(content: Buffer, filename: string, options: CheckOptions = TO_CITIZEN, contentType = 'application/octet-stream'): Promise<CheckResult> {
  return checkAttachments([{ filename, contentType, content }], options);
}
