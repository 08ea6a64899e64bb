/**
 * APPEND (RFC 3501 §6.3.11) with APPENDUID (RFC 4315) and APPENDLIMIT (RFC 7889). The message
 * is kept the way delivered mail is: line ends made CRLF (what IMAP serves and RFC822.SIZE
 * counts), its MIME index built once, its body durable before the row that points at it.
 * The reader refuses a literal over APPENDLIMIT before it is sent; the check here covers what
 * CRLF normalisation adds.
 */
import { expiry } from '../../pipeline/expiry.js';
import { normaliseMessageId } from '../../domain/conversations.js';
import { refusal, refusalText, tooLarge } from '../../domain/refusals.js';
import { toCrlf } from '../../mime/crlf.js';
import { decodeWords } from '../../mime/header.js';
import { MimeIndexer } from '../../mime/indexer.js';
import type { MimeIndex, MimePart } from '../../mime/types.js';
import type { NewMessage } from '../../store/types.js';
import type { CommandSpec } from '../command.js';
import { no, ok } from '../command.js';
import type { ImapValue } from '../protocol/values.js';
import { answerFor, ArgumentError, mailboxArg, noSuchFolder, userOf } from './mailbox-args.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DATE_TIME = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** RFC 3501 date-time: `"17-Jul-1996 02:44:25 -0700"` (the day may be space-padded) */
export function parseDateTime(text: string): Date | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, day, mon, year, hh, mm, ss, sign, zh, zm] = m;
  const month = MONTHS.indexOf(mon!.toLowerCase());
  const d = Number(day);
  const days = new Date(Date.UTC(Number(year), month + 1, 0)).getUTCDate();
  if (month === -1 || d < 1 || d > days || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60 || Number(zm) > 59) return undefined;
  const offset = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  return new Date(Date.UTC(Number(year), month, d, Number(hh), Number(mm), Math.min(Number(ss), 59)) - offset * 60_000);
}

interface AppendArgs {
  flags: string[];
  date?: Date;
  message: Buffer;
}

function parseArgs(args: ImapValue[]): AppendArgs {
  const rest = args.slice(1);
  const out: AppendArgs = { flags: [], message: Buffer.alloc(0) };
  const flags = rest[0];
  if (flags?.type === 'list') {
    out.flags = flags.items.map(flagOf);
    rest.shift();
  }
  if (rest.length === 2) {
    const date = rest.shift()!;
    const text = date.type === 'string' ? date.value.toString('latin1') : date.type === 'atom' ? date.value : '';
    out.date = parseDateTime(text);
    if (!out.date) throw new ArgumentError(`Date invalide (format 17-Jul-1996 02:44:25 -0700) / Invalid date-time: ${text}`);
  }
  const message = rest[0];
  if (rest.length !== 1 || message?.type !== 'string') {
    throw new ArgumentError('APPEND prend un dossier, (drapeaux), date et un message / APPEND takes a mailbox, optional flags and date, and a message literal');
  }
  out.message = message.value;
  return out;
}

function flagOf(value: ImapValue): string {
  if (value.type !== 'atom') throw new ArgumentError('Un drapeau est un atome / A flag must be an atom');
  return value.value;
}

/** whether some leaf is what a reader would call an attachment: declared so, or not text */
function hasAttachment(part: MimePart): boolean {
  if (part.parts) return part.parts.some(hasAttachment);
  return part.disposition?.type === 'attachment' || part.type !== 'text';
}

/** the listing fields of the stored row, from the index (no second parse of the message) */
function describe(mime: MimeIndex): Pick<NewMessage, 'messageId' | 'subject' | 'from' | 'date' | 'hasAttachments'> {
  const { envelope } = mime;
  const from = envelope.from.find((a) => a.mailbox && a.host);
  const date = envelope.date ? new Date(envelope.date) : null;
  return {
    messageId: envelope.messageId ? normaliseMessageId(envelope.messageId) : null,
    subject: envelope.subject === null ? null : decodeWords(envelope.subject),
    from: from ? `${from.mailbox}@${from.host}`.toLowerCase() : null,
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    hasAttachments: hasAttachment(mime.root),
  };
}

export const append: CommandSpec = {
  name: 'APPEND',
  states: ['authenticated', 'selected'],
  async handle(ctx, command) {
    const { services, session } = ctx;
    const limit = services.config.limits.maxMessageBytes;
    let parsed: AppendArgs;
    let name: string;
    try {
      name = mailboxArg(command.args[0], session);
      parsed = parseArgs(command.args);
    } catch (error) {
      return answerFor(error);
    }
    const mailboxId = userOf(session).mailboxId;
    try {
      const folder = await services.store.folders.byName(mailboxId, name);
      if (!folder) return noSuchFolder({ target: true });
      if (parsed.message.length === 0) return no('Message vide / Empty message', 'CANNOT');
      const raw = toCrlf(parsed.message);
      if (raw.length > limit) {
        return no(refusalText(tooLarge('message', `${raw.length} bytes; APPENDLIMIT is ${limit}`)), 'TOOBIG');
      }
      const { limits } = services.config;
      const indexer = new MimeIndexer({
        maxDepth: limits.maxMimeDepth,
        maxParts: limits.maxMimeParts,
        maxHeaderBytes: limits.maxHeaderBytes,
        maxHeaderFields: limits.maxHeaderFields,
      });
      indexer.write(raw);
      if (indexer.error) return no(refusalText(refusal('INVALID_STRUCTURE', `${indexer.error.message} [${indexer.error.check}]`)), 'LIMIT');
      const mime = indexer.end();
      const blob = await services.blobs.put(raw);
      const added = await services.store.messages.append(mailboxId, folder.id, {
        blob,
        mime,
        flags: parsed.flags,
        internalDate: parsed.date ?? new Date(),
        ...describe(mime),
        // A client's own copies (Sent, Drafts) follow the same retention as delivered mail.
        expiresAt: expiry(services.config).expiresAt,
      });
      return ok('APPEND terminé / APPEND completed', `APPENDUID ${folder.uidValidity} ${added.uid}`);
    } catch (error) {
      return answerFor(error, { target: true });
    }
  },
};
