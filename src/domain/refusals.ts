/**
 * Every reason the gateway may refuse a message, with the words it says, in French and English.
 * The doors translate a refusal into their own answer (an SMTP reply, an HTTP status) but never
 * change the words: a doctor's mail client and a citizen's webmail read the same reason.
 */

export type RefusalCode =
  | 'SENDER_NOT_TRUSTED'
  | 'SPOOFED_SENDER'
  | 'DOMAIN_NOT_CERTIFIED'
  | 'INVALID_AUTHOR'
  | 'RECIPIENT_NOT_TRUSTED'
  | 'RELAY_DENIED'
  | 'CITIZEN_TO_CITIZEN'
  | 'NO_PRIOR_CONTACT'
  | 'CONVERSATION_CLOSED'
  | 'PHARMACY_NEEDS_PRESCRIPTION'
  | 'MAILBOX_UNAVAILABLE'
  | 'INVALID_INS'
  | 'INVALID_ADDRESS'
  | 'TOO_LARGE'
  | 'INVALID_DOCUMENT'
  | 'WRONG_PATIENT'
  | 'FORBIDDEN_FORMAT'
  | 'INVALID_STRUCTURE'
  | 'UNREADABLE_MESSAGE';

/** What kind of problem it is: the doors map each kind to their own status codes. */
export type RefusalKind = 'sender' | 'mailbox' | 'rule' | 'size' | 'document';

export interface Refusal {
  code: RefusalCode;
  kind: RefusalKind;
  fr: string;
  en: string;
  /** the particulars (which recipient, which file, which check), in English */
  detail?: string;
}

const TEXTS: Record<RefusalCode, [RefusalKind, string, string]> = {
  SENDER_NOT_TRUSTED: [
    'sender',
    "Envoi refusé : l'expéditeur n'appartient pas à l'espace de confiance MSSanté",
    'the sender is not in the MSSanté trust space',
  ],
  SPOOFED_SENDER: [
    'sender',
    "Envoi refusé : l'adresse d'expéditeur ne correspond pas à la boîte authentifiée",
    'the sender address is not that of the authenticated mailbox',
  ],
  DOMAIN_NOT_CERTIFIED: [
    'sender',
    "Envoi refusé : le certificat du serveur expéditeur ne couvre pas le domaine de l'expéditeur",
    "the sending server's certificate does not speak for the sender's domain",
  ],
  INVALID_AUTHOR: [
    'sender',
    "Message refusé : le message doit avoir exactement un en-tête From: avec l'adresse de son auteur",
    'message refused: a message must have exactly one From: header naming its author',
  ],
  RECIPIENT_NOT_TRUSTED: [
    'sender',
    "Envoi refusé : le destinataire n'appartient pas à l'espace de confiance MSSanté",
    'the recipient is not in the MSSanté trust space',
  ],
  RELAY_DENIED: [
    'sender',
    "Relais refusé : ce serveur ne reçoit que le courrier de ses propres domaines",
    'relay denied: this server only accepts mail for its own domains',
  ],
  CITIZEN_TO_CITIZEN: [
    'rule',
    'Envoi refusé : un usager ne peut pas écrire à un autre usager',
    'a citizen may not write to another citizen',
  ],
  NO_PRIOR_CONTACT: [
    'rule',
    "Envoi refusé : un usager ne peut écrire qu'à un professionnel qui lui a déjà écrit",
    'a citizen may only write to a professional who wrote to them first',
  ],
  CONVERSATION_CLOSED: [
    'rule',
    'Envoi refusé : le professionnel a clos cette conversation',
    'the professional has closed this conversation',
  ],
  PHARMACY_NEEDS_PRESCRIPTION: [
    'rule',
    "Envoi refusé : un usager ne peut écrire à une pharmacie que pour lui transmettre une ordonnance",
    'a citizen may write to a pharmacy only to send it a prescription',
  ],
  MAILBOX_UNAVAILABLE: [
    'mailbox',
    "Destinataire inconnu : cette boîte aux lettres n'existe pas ou n'est pas ouverte",
    'unknown recipient: this mailbox does not exist or is not open',
  ],
  INVALID_INS: [
    'mailbox',
    "Destinataire invalide : le matricule INS de l'adresse est incorrect",
    'invalid recipient: the INS in the address is not valid',
  ],
  INVALID_ADDRESS: ['mailbox', 'Adresse invalide', 'invalid address'],
  TOO_LARGE: [
    'size',
    'Message trop volumineux : les pièces jointes dépassent la taille autorisée',
    'message too large: the attachments exceed the size allowed',
  ],
  INVALID_DOCUMENT: [
    'document',
    'Document refusé : une pièce jointe de santé est invalide',
    'document refused: a health attachment is not valid',
  ],
  WRONG_PATIENT: [
    'document',
    'Document refusé : le document ne concerne pas le patient destinataire',
    'document refused: the document does not concern the recipient patient',
  ],
  FORBIDDEN_FORMAT: [
    'document',
    "Pièce jointe refusée : ce format n'est pas autorisé pour un usager (PDF, JPEG, PNG, TIFF, TXT, RTF)",
    'attachment refused: this format is not allowed for a citizen (PDF, JPEG, PNG, TIFF, TXT, RTF)',
  ],
  INVALID_STRUCTURE: [
    'document',
    'Message refusé : sa structure MIME dépasse les limites acceptées',
    'message refused: its MIME structure exceeds the limits accepted',
  ],
  UNREADABLE_MESSAGE: [
    'document',
    'Message refusé : son contenu ne peut pas être lu',
    'message refused: its content cannot be read',
  ],
};

/**
 * What TOO_LARGE is about. The code stays the contract's TOO_LARGE whatever is too large; only
 * the words change, so that a sender is told what to shrink.
 */
export type OversizedPart = 'message' | 'header' | 'attachments';

const OVERSIZED: Record<OversizedPart, [string, string]> = {
  message: ['Message trop volumineux : le message dépasse la taille autorisée', 'message too large: the message exceeds the size allowed'],
  header: ["Message trop volumineux : l'en-tête dépasse la taille autorisée", 'message too large: its header exceeds the size allowed'],
  attachments: [TEXTS.TOO_LARGE[1], TEXTS.TOO_LARGE[2]],
};

export function tooLarge(what: OversizedPart, detail?: string): Refusal {
  const [fr, en] = OVERSIZED[what];
  return { ...refusal('TOO_LARGE', detail), fr, en };
}

export function refusal(code: RefusalCode, detail?: string): Refusal {
  const [kind, fr, en] = TEXTS[code];
  return detail === undefined ? { code, kind, fr, en } : { code, kind, fr, en, detail };
}

/** One line, French then English, then the particulars: what an SMTP reply or an API error says. */
export function refusalText(r: Refusal): string {
  return `${r.fr} / ${r.en}${r.detail ? ` (${r.detail})` : ''}`;
}
