/**
 * Structured JSON logs (pino) on stderr, so stdout stays free for the ready line and CLI output.
 * Logs carry who, what and the outcome; never a body, a password or a document. The redaction
 * below is a second fence in case a caller passes such a field by mistake.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED_FIELDS = [
  'password',
  'pass',
  'body',
  'text',
  'html',
  'content',
  'raw',
  'document',
  'attachments',
  '*.password',
  '*.pass',
  '*.body',
  '*.text',
  '*.html',
  '*.content',
  '*.raw',
  '*.document',
  '*.attachments',
];

export function createLogger(level: string, destination: number = 2): Logger {
  return pino(
    {
      level,
      base: { service: 'mss-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_FIELDS, censor: '[redacted]' },
    },
    pino.destination({ fd: destination, sync: true }),
  );
}
