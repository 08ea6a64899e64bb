/**
 * FETCH's answers as the command builds them, on stand-ins for the store: a message's header
 * block is read once however many HEADER.FIELDS items ask for it, and answers built in memory
 * are prepared one at a time (never four large ones at once).
 */
import { describe, expect, it } from 'vitest';
import type { CommandContext, SelectedFolder } from '../../../src/imap/command.js';
import { fetchCommand } from '../../../src/imap/commands/fetch.js';
import { parseCommand } from '../../../src/imap/protocol/parser.js';
import type { ImapOut } from '../../../src/imap/protocol/values.js';
import { indexMessage } from '../../../src/mime/indexer.js';
import type { BlobStore, StoredMessage } from '../../../src/store/types.js';
import { crlf } from './fixtures.js';

const RAW = crlf('From: a@hopital.mssante.fr\nSubject: Bonjour\nX-Extra: 1\n\nLe corps.\n');
const INDEX = indexMessage(RAW);
const COUNT = 8;

const stored = (uid: number): StoredMessage => ({
  id: uid,
  folderId: 1,
  uid,
  modseq: 1,
  blobId: `blob-${uid}`,
  size: RAW.length,
  internalDate: new Date(0),
  flags: [],
  messageId: null,
  subject: null,
  from: null,
  date: null,
  hasAttachments: false,
  conversationId: null,
});

/** runs `FETCH 1:8 <items>` and says how the blobs were read */
async function fetchWith(items: string) {
  let reads = 0;
  let inFlight = 0;
  let most = 0;
  const blobs = {
    async read(_id: string, range?: { start: number; end: number }) {
      reads++;
      most = Math.max(most, ++inFlight);
      // a read that takes a turn, as a file read does
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return RAW.subarray(range?.start ?? 0, range?.end ?? RAW.length);
    },
  } as unknown as BlobStore;
  const uids = Array.from({ length: COUNT }, (_, i) => i + 1);
  const view = {
    folder: { mailboxId: 1, id: 1, uidNext: COUNT + 1 },
    readOnly: true,
    exists: COUNT,
    uidAt: (seq: number) => seq,
    seqOf: (uid: number) => uid,
    resolve: () => uids,
    highestModseq: 1,
    isRecent: () => false,
    recent: 0,
  } as unknown as SelectedFolder;
  const answers: ImapOut[][] = [];
  const ctx = {
    tag: 't',
    session: { selected: view, condstore: false, enabled: new Set<string>() },
    services: {
      blobs,
      store: { messages: { fetch: async (_m: number, _f: number, page: number[]) => page.map(stored), mime: async () => INDEX } },
    },
    untagged: (...out: ImapOut[]) => answers.push(out),
    untaggedText: () => undefined,
    continuation: () => undefined,
    drain: async () => undefined,
  } as unknown as CommandContext;
  const parsed = parseCommand({ lines: [Buffer.from(`t FETCH 1:${COUNT} ${items}`)], literals: [] });
  if (!parsed.ok) throw new Error(parsed.failure.text);
  const result = await fetchCommand.handle(ctx, parsed.command);
  return { result, reads, most, answers };
}

describe('FETCH answers', () => {
  it('reads the header block once per message for all its HEADER.FIELDS items', async () => {
    const { result, reads, answers } = await fetchWith('(BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[HEADER.FIELDS (From)] BODY.PEEK[HEADER.FIELDS.NOT (X-Extra)])');
    expect(result.status).toBe('OK');
    expect(answers).toHaveLength(COUNT);
    expect(reads).toBe(COUNT);
  });

  it('prepares answers built in memory one at a time', async () => {
    const { reads, most } = await fetchWith('(BODY.PEEK[HEADER.FIELDS (Subject)])');
    expect(reads).toBe(COUNT);
    expect(most).toBe(1);
  });
});
