/**
 * How LOGIN and AUTHENTICATE say a login's outcome (src/auth/login.ts decides it): the session
 * starts, or NO with the RFC 5530 code. A client blocked by the failure throttle gets NO, then
 * BYE and the connection closes, as SMTP's 421 does.
 */
import { no, ok, type CommandContext, type CommandResult } from '../command.js';
import type { LoginResult } from '../../auth/login.js';

export const PRIVACY_REQUIRED = (): CommandResult =>
  no('Chiffrement requis : envoyez STARTTLS d\'abord / Encryption required: issue STARTTLS first', 'PRIVACYREQUIRED');

function wait(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

export function loginOutcome(ctx: CommandContext, result: LoginResult): CommandResult {
  const { session } = ctx;
  if (result.ok) {
    if (!session.takeSeat(result.mailbox.id)) {
      const n = ctx.services.config.imap.maxConnectionsPerMailbox;
      return no(`Trop de sessions ouvertes sur cette boîte (${n} au plus) / Too many sessions open for this mailbox (at most ${n})`, 'LIMIT');
    }
    session.authenticate({ mailboxId: result.mailbox.id, address: result.mailbox.address });
    return ok('Connecté / Logged in', `CAPABILITY ${session.capabilities().join(' ')}`);
  }
  if (result.reason === 'blocked') {
    const w = wait(result.retryAfterSeconds);
    session.closeAfterAnswer(`Trop d'échecs d'authentification, réessayez dans ${w} / Too many failed logins, try again in ${w}`);
    return no(`Trop d'échecs d'authentification, réessayez dans ${w} / Too many failed logins, try again in ${w}`, 'UNAVAILABLE');
  }
  if (result.reason === 'not-allowed') {
    return no(
      'Connexion IMAP non autorisée pour cette boîte (les usagers lisent leurs messages dans la messagerie web) / IMAP login not allowed for this mailbox (citizens read their mail in the webmail)',
      'AUTHORIZATIONFAILED',
    );
  }
  return no('Identifiants invalides / Invalid credentials', 'AUTHENTICATIONFAILED');
}
