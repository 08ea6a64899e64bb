/** The kinds and states of mailboxes, as the rules speak of them. */

export const PRO_KINDS = ['PER', 'ORG', 'APP'] as const;
export type ProKind = (typeof PRO_KINDS)[number];
export type MailboxKind = 'CITIZEN' | ProKind;

/** open: receives mail; opposed: the citizen refused the service; closed: no new mail, data kept. */
export type MailboxState = 'open' | 'opposed' | 'closed';

export interface Mailbox {
  id: number;
  address: string;
  kind: MailboxKind;
  pharmacy: boolean;
  displayName: string | null;
  rpps: string | null;
  /** a citizen's matricule INS */
  ins: string | null;
  state: MailboxState;
  personalEmail: string | null;
  hasPassword: boolean;
  createdAt: Date;
}

export function isProKind(text: string): text is ProKind {
  return (PRO_KINDS as readonly string[]).includes(text);
}

/** Only a citizen has a health record (and writes under the reply-only rule); professionals do not. */
export function hasRecord(mailbox: Pick<Mailbox, 'kind' | 'ins'>): mailbox is Pick<Mailbox, 'kind'> & { ins: string } {
  return mailbox.kind === 'CITIZEN' && mailbox.ins !== null;
}

/** The doors a person logs in through. */
export type LoginDoor = 'submission' | 'imap' | 'webmail';

/** Only open mailboxes log in; citizens only through the webmail (their mail client is the webmail). */
export function mayLogIn(mailbox: Pick<Mailbox, 'state' | 'kind'>, door: LoginDoor): boolean {
  return mailbox.state === 'open' && (mailbox.kind !== 'CITIZEN' || door === 'webmail');
}
