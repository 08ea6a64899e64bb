/**
 * What a delivery attempt learnt about one recipient, in SMTP terms: a reply code when a server
 * answered, an enhanced status code (RFC 3463), and a text. Local failures (DNS, TCP, TLS,
 * trust list) have no reply code but get an enhanced code so that the queue's last error and
 * the DSN read the same way for both.
 */
export interface Reply {
  /** the server's reply code (250, 451, 550…); null when no server answered */
  code: number | null;
  /** enhanced status code such as 5.1.1, when known */
  enhanced: string | null;
  text: string;
}

const REPLY = /^(\d{3})(?:[ -](.*))?$/;
const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?:\s+(.*))?$/;

/** Collapses a (possibly multi-line) reply into one line without control characters. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Reads "550 5.1.1 Unknown user", a multi-line "550-5.1.1 a\n550 5.1.1 b", or a local
 * "4.4.1 connection refused" (what `describeReply` writes into the queue's last error).
 */
export function parseReply(raw: string): Reply {
  const lines = raw.split(/\r?\n/).filter((l) => l.trim() !== '');
  let code: number | null = null;
  let enhanced: string | null = null;
  const texts: string[] = [];
  for (const line of lines) {
    let rest = line.trim();
    const reply = REPLY.exec(rest);
    if (reply) {
      code ??= Number(reply[1]);
      rest = reply[2] ?? '';
    }
    const status = ENHANCED.exec(rest);
    if (status) {
      enhanced ??= status[1]!;
      rest = status[2] ?? '';
    }
    if (rest) texts.push(rest);
  }
  return { code, enhanced, text: oneLine(texts.join(' ')) || oneLine(raw) };
}

export function localReply(enhanced: string, text: string): Reply {
  return { code: null, enhanced, text: oneLine(text) };
}

/** 5xx is final, except 503 (bad sequence): that is the session's state, not the message. */
export function isPermanent(reply: Reply): boolean {
  if (reply.code !== null) return reply.code >= 500 && reply.code !== 503;
  return reply.enhanced?.startsWith('5.') ?? false;
}

/** One line for logs and the queue's last error; `parseReply` reads it back. */
export function describeReply(reply: Reply): string {
  return [reply.code, reply.enhanced, reply.text].filter((part) => part !== null && part !== '').join(' ');
}
