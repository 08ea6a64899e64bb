/**
 * Conversations between a professional and a citizen, as the headers describe them.
 * A professional closes one with `X-MSS-MES: FIN` (that conversation) or with a subject that is
 * exactly `[FIN]` (every conversation with that citizen).
 */

export type Closing = 'this' | 'all-with-citizen';

export function closingOf(headers: { mssMes?: string; subject?: string }): Closing | undefined {
  if (headers.subject?.trim() === '[FIN]') return 'all-with-citizen';
  if (headers.mssMes?.trim().toUpperCase() === 'FIN') return 'this';
  return undefined;
}

/** The message ids a message answers, nearest first: In-Reply-To, then References newest first. */
export function answeredMessageIds(inReplyTo: string | undefined, references: string | string[] | undefined): string[] {
  const ids = [...messageIds(inReplyTo), ...[...(Array.isArray(references) ? references : messageIds(references))].reverse()];
  return [...new Set(ids.map(normaliseMessageId))];
}

function messageIds(text: string | undefined): string[] {
  return text ? (text.match(/<[^<>\s]+>/g) ?? []) : [];
}

/** Message ids compare with their angle brackets, case kept on the left and folded on the right. */
export function normaliseMessageId(id: string): string {
  const bare = id.trim().replace(/^<|>$/g, '');
  const at = bare.lastIndexOf('@');
  return at === -1 ? `<${bare}>` : `<${bare.slice(0, at)}@${bare.slice(at + 1).toLowerCase()}>`;
}

/**
 * Who counts as having written to a citizen: the sender, and the MSSanté addresses named in the
 * Reply-To that `counts` accepts (the professionals of the sender's own organisation: see
 * `speaksForOrganisation` in policy.ts), since the citizen's answers will go there.
 */
export function writersOf(sender: string, replyTo: string[], counts: (address: string) => boolean): string[] {
  return [...new Set([sender, ...replyTo.filter(counts)])];
}
