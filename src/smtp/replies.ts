/**
 * How the SMTP doors say the pipeline's refusals: a reply code, an enhanced status code
 * (RFC 3463) and the refusal's own French and English words.
 */
import { refusalText, type Refusal, type RefusalKind } from '../domain/refusals.js';

const BY_KIND: Record<RefusalKind, [number, string]> = {
  sender: [550, '5.7.1'],
  rule: [550, '5.7.1'],
  mailbox: [550, '5.1.1'],
  size: [552, '5.3.4'],
  document: [554, '5.6.0'],
};

export interface SmtpError extends Error {
  responseCode: number;
}

export function smtpError(code: number, enhanced: string, text: string): SmtpError {
  // The enhanced code leads the message: see extensions.ts for why smtp-server keeps it.
  return Object.assign(new Error(`${enhanced} ${text}`), { responseCode: code });
}

export function refusalReply(r: Refusal): SmtpError {
  const [code, enhanced] = r.code === 'INVALID_ADDRESS' ? [553, '5.1.3'] : BY_KIND[r.kind];
  return smtpError(code, enhanced, refusalText(r));
}

export const TLS_REQUIRED = () =>
  smtpError(530, '5.7.0', 'Chiffrement requis : envoyez STARTTLS d\'abord / Must issue a STARTTLS command first');

export const TEMPORARY_FAILURE = () =>
  smtpError(451, '4.3.0', 'Erreur temporaire, réessayez plus tard / Temporary local error, please try again later');
