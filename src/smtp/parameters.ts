/**
 * The MAIL and RCPT parameters a door takes: those of the extensions its EHLO advertises, and
 * no other (RFC 5321 §4.1.1.11: 555 for a parameter not recognised or not implemented).
 * DSN is not advertised, so NOTIFY, ORCPT, RET and ENVID are refused rather than silently
 * ignored: a sender asking for a success notice must learn it will not get one.
 */
/** SIZE (RFC 1870), BODY (8BITMIME, RFC 6152), SMTPUTF8 (RFC 6531). */
const MAIL = ['SIZE', 'BODY', 'SMTPUTF8'];

export function mailParameters(auth: boolean): ReadonlySet<string> {
  // AUTH= (RFC 4954 §5) where AUTH is offered.
  return new Set(auth ? [...MAIL, 'AUTH'] : MAIL);
}

export const RCPT_PARAMETERS: ReadonlySet<string> = new Set();

/** The first parameter given that is not in `allowed`, as the client wrote its name. */
export function unsupportedParameter(args: Record<string, unknown> | false | undefined, allowed: ReadonlySet<string>): string | undefined {
  if (!args) return undefined;
  return Object.keys(args).find((name) => !allowed.has(name.toUpperCase()));
}
