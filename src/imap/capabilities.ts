/**
 * What CAPABILITY says, by state: an extension is listed only when the commands that make it
 * exist in the registry, so the list never promises what the server cannot do. Before TLS on
 * the plain port: STARTTLS and LOGINDISABLED (unless the client may log in in clear text,
 * `imap.clearTextLoginFrom`); where a password may be given, before login: the SASL mechanisms.
 */

export interface CapabilityView {
  readonly secure: boolean;
  /** a password may be given here: under TLS, or from a client allowed clear-text logins */
  readonly loginAllowed: boolean;
  readonly state: string;
  has(command: string): boolean;
  /** the client presented a certificate signed by the trusted CA */
  readonly certificate: boolean;
}

export function capabilities(view: CapabilityView, appendLimit: number): string[] {
  const caps = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE'];
  const has = (...names: string[]) => names.every((n) => view.has(n));
  if (has('UNSELECT')) caps.push('UNSELECT');
  if (has('EXPUNGE', 'COPY', 'APPEND')) caps.push('UIDPLUS');
  if (has('MOVE')) caps.push('MOVE');
  if (has('LIST')) caps.push('SPECIAL-USE', 'CHILDREN');
  if (has('SEARCH')) caps.push('ESEARCH');
  if (has('SELECT', 'FETCH', 'STORE')) caps.push('CONDSTORE', 'QRESYNC');
  if (has('APPEND')) caps.push(`APPENDLIMIT=${appendLimit}`);
  if (!view.secure) caps.push('STARTTLS');
  if (!view.loginAllowed) caps.push('LOGINDISABLED');
  else if (view.state === 'not-authenticated') {
    caps.push('AUTH=PLAIN');
    if (view.certificate) caps.push('AUTH=EXTERNAL');
  }
  return caps;
}
