/**
 * Where an accepted message goes and what it changes besides: a copy in each local mailbox, the
 * relay for the other operators' recipients, the conversations it opens or continues, the
 * "has written to" ledger of the reply-only rule, and the citizens to notify.
 */
import { writersOf } from '../domain/conversations.js';
import { speaksForOrganisation, type SenderFacts } from '../domain/policy.js';
import type { ConversationChange, ConversationRecord, Delivery, DeliveryTarget } from '../store/types.js';
import type { MessageContent } from './content.js';
import type { AcceptedRecipient, PipelineDeps } from './deps.js';

export type Routing = Pick<Delivery, 'targets' | 'relay' | 'conversations' | 'contacts' | 'notify'>;

/** The conversation with this citizen that the message answers, if any. */
export function answeredConversation(
  deps: Pick<PipelineDeps, 'store'>,
  content: MessageContent,
  citizen: string,
): Promise<ConversationRecord | undefined> {
  return content.answers.length ? deps.store.conversations.answered(content.answers, citizen) : Promise.resolve(undefined);
}

/**
 * The professionals this message counts as "having written" for: the sender, and the Reply-To
 * addresses of professionals of the trust space within the sender's own organisation.
 */
async function writers(deps: Pick<PipelineDeps, 'facts'>, sender: SenderFacts, replyTo: string[]): Promise<string[]> {
  const professionals = new Set<string>();
  for (const address of replyTo) {
    if (!speaksForOrganisation(sender, address)) continue;
    const described = await deps.facts.describe(address);
    if (described.ok && described.facts.party.role === 'professional' && described.facts.place.where !== 'outside') {
      professionals.add(described.facts.party.address);
    }
  }
  return writersOf(sender.party.address, replyTo, (a) => professionals.has(a));
}

export async function route(
  deps: Pick<PipelineDeps, 'store' | 'facts' | 'config'>,
  senderFacts: SenderFacts,
  recipients: readonly AcceptedRecipient[],
  content: MessageContent,
  options: { receipt?: boolean } = {},
): Promise<Routing> {
  const { origin, party: sender } = senderFacts;
  const targets: DeliveryTarget[] = [];
  const relay: string[] = [];
  const conversations: ConversationChange[] = [];
  const contacts: Delivery['contacts'] = [];
  const notify: Delivery['notify'] = [];

  // Conversations link a professional and a citizen: each citizen recipient of a professional,
  // or the one citizen who writes.
  let citizenConversation: number | undefined;
  // A read receipt is the system speaking for the reader: it neither opens nor continues one.
  if (sender.role === 'citizen' && !options.receipt) {
    const firstPro = recipients.find((r) => r.facts.party.role === 'professional');
    if (firstPro) {
      const existing = await answeredConversation(deps, content, sender.address);
      citizenConversation = conversations.push({ citizen: sender.address, professional: firstPro.address, existingId: existing?.id }) - 1;
    }
  }

  // A bounce (empty sender) opens no conversation and counts as no one having written.
  const professional = sender.role === 'professional' && sender.address !== '';
  const writing = professional ? await writers(deps, senderFacts, content.replyTo) : [];

  for (const r of recipients) {
    let conversation = citizenConversation;
    if (professional && r.facts.party.role === 'citizen') {
      const existing = await answeredConversation(deps, content, r.address);
      conversation =
        conversations.push({ citizen: r.address, professional: sender.address, existingId: existing?.id, close: content.closing }) - 1;
      for (const who of writing) contacts.push({ professional: who, citizen: r.address });
    }
    const email = r.facts.party.role === 'citizen' ? r.facts.mailbox?.personalEmail : undefined;
    if (deps.config.notify.enabled && email) notify.push({ mailbox: r.address, email });
    if (r.facts.place.where === 'local') targets.push({ mailbox: r.address, folder: 'INBOX', conversation });
    else relay.push(r.address);
  }
  // The webmail keeps a copy of what was sent; mail clients file their own (IMAP APPEND).
  if (origin === 'webmail' && !options.receipt) {
    targets.push({ mailbox: sender.address, folder: 'Sent', flags: ['\\Seen'], conversation: citizenConversation });
  }
  return { targets, relay, conversations, contacts, notify };
}
