/**
 * Whether the rules let this mailbox answer a message, asked before the person writes: the
 * pipeline previews the recipient exactly as it will decide when the reply is sent (recording
 * nothing), and a conversation the professional closed is checked as the content rule does.
 */
import { decideContent } from '../../domain/policy.js';
import type { StoredMessage } from '../../store/types.js';
import type { ApiContext } from '../context.js';
import type { Account } from '../sessions.js';

export type ReplyVerdict = { allowed: true } | { allowed: false; code: string; message: string };

export async function replyVerdict(ctx: ApiContext, account: Account, message: StoredMessage): Promise<ReplyVerdict> {
  const self = account.mailbox.address;
  const to = message.from;
  if (!to || to === self) return { allowed: false, code: 'NOTHING_TO_ANSWER', message: 'Ce message est le vôtre : il n’y a personne à qui répondre.' };
  const preview = await ctx.pipeline.preview({ origin: 'webmail', address: self, authenticatedAs: self, client: {} }, to);
  if ('refusal' in preview) return { allowed: false, code: preview.refusal.code, message: `${preview.refusal.fr}.` };
  if (preview.conditions.includes('open-conversation')) {
    const conversation = message.conversationId === null ? undefined : await ctx.store.conversations.byId(message.conversationId);
    const verdict = decideContent(['open-conversation'], { hasPrescription: false, conversation: conversation && { closed: conversation.state === 'closed' } }, to);
    if (verdict) return { allowed: false, code: verdict.code, message: `${verdict.fr}.` };
  }
  return { allowed: true };
}
