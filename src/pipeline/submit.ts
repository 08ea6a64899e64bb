/**
 * A whole transaction in one call, for doors that have the complete message at hand (the
 * webmail, generated messages): the sender, every recipient, then the body. Any refusal stops
 * it; nothing is delivered to anyone then.
 */
import type { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { SendMailOptions } from 'nodemailer/lib/mailer/index.js';
import type { Pipeline } from './pipeline.js';
import type { Outcome, SenderInput } from './types.js';

export async function submit(pipeline: Pipeline, sender: SenderInput, recipients: string[], body: () => Readable): Promise<Outcome> {
  const transaction = await pipeline.open(sender);
  if ('code' in transaction) return { accepted: false, refusal: transaction };
  for (const recipient of recipients) {
    const refused = await transaction.addRecipient(recipient);
    if (refused) return { accepted: false, refusal: refused };
  }
  return transaction.receive(body());
}

/** Builds a MIME message (nodemailer's composer) as a stream, for `submit`. */
export function compose(mail: SendMailOptions): Readable {
  return new MailComposer(mail).compile().createReadStream();
}
