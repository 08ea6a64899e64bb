/**
 * The one path every message takes, whichever door it came through (SMTP MX, SMTP submission,
 * the webmail). A door opens a transaction for a sender, adds recipients, then hands over the
 * body; it turns each refusal into its own kind of answer but decides nothing itself.
 */
import { decideSender, type Condition, type SenderFacts } from '../domain/policy.js';
import { refusal, type Refusal } from '../domain/refusals.js';
import { candidateDomains, type PeerFacts } from '../domain/trust.js';
import type { PipelineDeps } from './deps.js';
import { factFinder, type FactFinder } from './facts.js';
import { MailTransaction } from './transaction.js';
import type { SenderInput } from './types.js';

export type { PipelineDeps, PipelineEvents } from './deps.js';

export interface Pipeline {
  /** MAIL FROM: decides the sender; a transaction to add recipients to, or the refusal */
  open(input: SenderInput): Promise<MailTransaction | Refusal>;
  /**
   * What the envelope rules would say of this sender writing to this recipient, recording
   * nothing: the webmail tells a person beforehand that a reply is not allowed, and why.
   */
  preview(input: SenderInput, recipient: string): Promise<{ refusal: Refusal } | { conditions: Condition[] }>;
  facts: FactFinder;
}

export function createPipeline(options: Omit<PipelineDeps, 'facts'>): Pipeline {
  const facts = factFinder(options.store, options.config.domains.citizen);
  const deps: PipelineDeps = { ...options, facts };
  return {
    facts,
    async open(input) {
      const peer = await peerFacts(deps, input);
      if (peer && 'code' in peer) return audited(deps, input, peer);
      const sender = await senderFacts(deps, input, peer);
      if ('code' in sender) return audited(deps, input, sender);
      const verdict = decideSender(sender);
      if (verdict) return audited(deps, input, verdict);
      return new MailTransaction(deps, input, sender);
    },
    async preview(input, recipient) {
      const peer = await peerFacts(deps, input);
      if (peer && 'code' in peer) return { refusal: peer };
      const sender = await senderFacts(deps, input, peer);
      if ('code' in sender) return { refusal: sender };
      const verdict = decideSender(sender);
      if (verdict) return { refusal: verdict };
      const decided = await new MailTransaction(deps, input, sender).decide(recipient);
      return 'refusal' in decided ? { refusal: decided.refusal } : { conditions: decided.accepted.conditions };
    },
  };
}

/**
 * Who the peer operator is, from its verified certificate: the names it carries and the domains
 * attached to them. It must speak for at least one domain of the trust space. Without a
 * certificate there is nothing to bind the sender to; that is only possible when the operator
 * turned trust.requireClientCert off (logged at start-up).
 */
async function peerFacts(deps: PipelineDeps, input: SenderInput): Promise<PeerFacts | Refusal | undefined> {
  if (input.origin !== 'mx') return undefined;
  const certificate = input.client.certificate;
  if (!certificate?.authorized) {
    if (!deps.config.trust.requireClientCert) return undefined;
    const names = certificate?.names.length ? certificate.names.join(', ') : 'none';
    return refusal('SENDER_NOT_TRUSTED', `no client certificate from the trusted CA (presented: ${names})`);
  }
  const peer: PeerFacts = { names: certificate.names, attached: await deps.store.trust.attachedTo(certificate.names) };
  for (const domain of candidateDomains(peer)) if (await deps.store.trust.isTrusted(domain)) return peer;
  return refusal('SENDER_NOT_TRUSTED', `the client certificate (${peer.names.join(', ') || 'no name'}) names no domain of the trust space`);
}

async function senderFacts(deps: PipelineDeps, input: SenderInput, peer: PeerFacts | undefined): Promise<SenderFacts | Refusal> {
  if (input.address === '') {
    // A bounce (null reverse-path) from another operator: a professional of its domain speaks.
    if (input.origin !== 'mx') return refusal('SPOOFED_SENDER', 'an empty sender is only accepted from another operator');
    return { origin: input.origin, party: { role: 'professional', address: '', pharmacy: false }, place: { where: 'trusted' }, peer };
  }
  const described = await deps.facts.describe(input.address);
  if (!described.ok) {
    return input.origin === 'mx' ? refusal('SENDER_NOT_TRUSTED', described.refusal.detail) : described.refusal;
  }
  return { origin: input.origin, party: described.facts.party, place: described.facts.place, authenticatedAs: input.authenticatedAs, peer };
}

async function audited(deps: PipelineDeps, input: SenderInput, r: Refusal): Promise<Refusal> {
  await deps.store.audit.record({
    actor: input.address || '<>',
    action: 'message.refuse',
    mailbox: input.authenticatedAs ?? null,
    outcome: r.code,
    detail: `${input.origin}: ${r.detail ?? 'sender refused'}`,
  });
  deps.log.info({ origin: input.origin, sender: input.address, refusal: r.code }, 'sender refused');
  return r;
}
