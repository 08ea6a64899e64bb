/**
 * The activity history as a person reads it: each audit line of their mailbox said in one
 * French sentence ("Document « Ordonnance » classé dans Ordonnances et soins par Dr House
 * (dr.house@hopital.mssante.fr)", "Vous avez téléchargé …", "Message reçu de …"). Every
 * `action` the gateway writes has its sentence here; one it does not know gets a generic one.
 *
 * A sentence names who did what to which document or address, never what a message says: no
 * subject, no text, no reason copied from a sender. Lines about a document the citizen may not
 * see (INVISIBLE_PATIENT, see visibility.ts) are not shown at all: for the citizen, the
 * document does not exist yet. Pure: the API brings the names and the documents.
 */
import { refusal, type RefusalCode } from './refusals.js';

/** One audit line, as these sentences need it. */
export interface ActivityLine {
  actor: string;
  action: string;
  target?: string | null;
  outcome: string;
  detail?: string | null;
}

export interface ActivityContext {
  /** the mailbox whose history this is: its own acts are said with "Vous" */
  viewer: string;
  /** a person or organisation, for a person: "Dr House (dr.house@…)", or the bare address */
  who(address: string): string;
  /** the record document a `record.*` line names (by its document id), when the viewer may see it */
  document(documentId: string): { title: string; categoryLabel: string } | undefined;
}

/** Whether a line is shown in the citizen's history: not when it is about a document hidden from them. */
export function shownInHistory(line: Pick<ActivityLine, 'action' | 'target'>, isHiddenDocument: (documentId: string) => boolean): boolean {
  return !(line.action.startsWith('record.') && typeof line.target === 'string' && isHiddenDocument(line.target));
}

/** Who acts when the operator does: provisioning and the CLI write their own name or "cli". */
const OPERATOR = "l'exploitant de la messagerie";

const quoted = (text: string) => `« ${text} »`;

/** A document by its title when it is known; "un document" when it is not in the record (a refused one). */
function documentName(ctx: ActivityContext, documentId: string | null | undefined): string {
  const found = documentId ? ctx.document(documentId) : undefined;
  return found ? `le document ${quoted(found.title)}` : 'un document';
}

/** "de" before a document's name, contracted as French does: "du document …", "d’un document". */
function ofDocument(ctx: ActivityContext, documentId: string | null | undefined): string {
  const name = documentName(ctx, documentId);
  return name.startsWith('le ') ? `du ${name.slice(3)}` : `d’${name}`;
}

function categoryOf(ctx: ActivityContext, documentId: string | null | undefined): string | undefined {
  return documentId ? ctx.document(documentId)?.categoryLabel : undefined;
}

/** The refusal's own French words, without the "Envoi refusé : " the sentence already says. */
function refusalWords(code: string): string | undefined {
  try {
    const known = refusal(code as RefusalCode);
    return known.fr ? known.fr.replace(/^[^:]+:\s*/, '') : undefined;
  } catch {
    return undefined;
  }
}

const RECORD_REFUSALS: Record<string, string> = {
  RECORD_ID_REUSED: 'son identifiant est déjà celui d’un autre document de votre dossier',
  RECORD_VERSION_TAKEN: 'cette version est déjà classée sous un autre identifiant',
  RECORD_NOT_OWNER: 'seul l’organisme qui a classé ce document peut le remplacer',
};

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

type Labeller = (line: ActivityLine, ctx: ActivityContext, mine: boolean) => string;

const LABELS: Record<string, Labeller> = {
  login: () => 'Connexion au webmail',
  'logout-everywhere': () => 'Déconnexion de tous vos appareils',
  'settings.personal-email': (l) =>
    l.outcome === 'removed' ? 'Notifications par e-mail désactivées' : 'Adresse e-mail de notification enregistrée',

  'mailbox.create': () => `Ouverture de votre messagerie par ${OPERATOR}`,
  'mailbox.oppose': () => 'Opposition à la messagerie enregistrée',
  'mailbox.reactivate': () => `Réouverture de votre messagerie par ${OPERATOR}`,
  'mailbox.close': () => `Fermeture de votre messagerie par ${OPERATOR}`,
  'mailbox.passwd': () => `Mot de passe défini par ${OPERATOR}`,

  'message.send': (l, ctx) => `Message envoyé à ${ctx.who(l.target ?? '')}`,
  'message.deliver': (l, ctx, mine) => (mine ? `Message envoyé à ${ctx.who(l.target ?? '')}` : `Message reçu de ${ctx.who(l.actor)}`),
  'message.read': (l, ctx) => (l.detail ? `Vous avez lu un message de ${ctx.who(l.detail)}` : 'Vous avez lu un message'),
  'message.attachment.download': (l) => (l.detail ? `Vous avez téléchargé la pièce jointe ${quoted(l.detail)}` : 'Vous avez téléchargé une pièce jointe'),
  'message.refuse': (l, ctx) => {
    const to = l.target ? ` à ${ctx.who(l.target)}` : '';
    const why = refusalWords(l.outcome);
    return `Message${to} non envoyé${why ? ` : ${why}` : ''}`;
  },
  'message.relay': (l, ctx) => {
    const to = ctx.who(l.target ?? '');
    if (l.outcome === 'delivered') return `Message remis à la messagerie de ${to}`;
    if (l.outcome === 'expired') return `Message à ${to} non remis : sa messagerie n’a pas pu être jointe à temps`;
    if (l.outcome === 'refused') return `Message à ${to} non remis : sa messagerie l’a refusé`;
    return `Message pour ${to} confié à sa messagerie`;
  },
  'message.dsn': () => 'Avis de non-remise reçu pour un message que vous avez envoyé',
  'receipt.sent': (l, ctx) => `Accusé de lecture envoyé à ${ctx.who(l.target ?? '')}`,
  'conversation.close': () => `Conversation close par ${OPERATOR}`,

  // The operator's own acts (no mailbox's history shows them, but the trail names them too).
  'auth.unblock': () => `Connexions débloquées par ${OPERATOR}`,
  'directory.add': () => `Annuaire mis à jour par ${OPERATOR}`,
  'domain.add-local': () => `Domaine ajouté par ${OPERATOR}`,
  'trust.add': () => `Espace de confiance mis à jour par ${OPERATOR}`,
  'trust.remove': () => `Espace de confiance mis à jour par ${OPERATOR}`,
  'trust.import': () => `Espace de confiance mis à jour par ${OPERATOR}`,
  'trust.attach': () => `Espace de confiance mis à jour par ${OPERATOR}`,
  'trust.detach': () => `Espace de confiance mis à jour par ${OPERATOR}`,
  'retention.purge': () => 'Messages arrivés au terme de leur durée de conservation supprimés',

  'record.file': (l, ctx, mine) => {
    const name = documentName(ctx, l.target);
    const category = categoryOf(ctx, l.target);
    const where = category ? ` dans ${category}` : '';
    if (mine) return `Vous avez classé ${name}${where}`;
    switch (l.outcome) {
      case 'filed-as-replaced':
        return `${capitalised(name)} (une version plus ancienne) classé${where} par ${ctx.who(l.actor)}`;
      case 'visibility-updated':
      case 'visibility-ignored':
      case 'duplicate':
        return `${capitalised(name)} reçu à nouveau de ${ctx.who(l.actor)} : il était déjà dans votre dossier`;
      default:
        return `${capitalised(name)} classé${where} par ${ctx.who(l.actor)}`;
    }
  },
  'record.replace': (l, ctx) => `${capitalised(documentName(ctx, l.target))} a été remplacé par une nouvelle version`,
  'record.visibility': (l, ctx) => `Visibilité ${ofDocument(ctx, l.target)} modifiée par ${ctx.who(l.actor)}`,
  'record.refuse': (l, ctx, mine) => {
    if (mine) {
      // The citizen's own filing of an attachment, refused by the document checks.
      const why = refusalWords(l.outcome);
      return `Pièce jointe${l.detail ? ` ${quoted(l.detail)}` : ''} non classée dans votre dossier${why ? ` : ${why}` : ''}`;
    }
    const why = RECORD_REFUSALS[l.outcome];
    return `Un document envoyé par ${ctx.who(l.actor)} n’a pas été classé dans votre dossier${why ? ` : ${why}` : ''}`;
  },
  'record.read': (l, ctx) => `Vous avez consulté ${documentName(ctx, l.target)}`,
  'record.download': (l, ctx) => {
    const format = l.detail === 'pdf' ? ' (PDF)' : l.detail === 'cda' ? ' (CDA)' : '';
    return `Vous avez téléchargé ${documentName(ctx, l.target)}${format}`;
  },
};

/** Every action that has its own sentence (the rest get the generic one). */
export const LABELLED_ACTIONS: readonly string[] = Object.keys(LABELS);

export function activityLabel(line: ActivityLine, ctx: ActivityContext): string {
  const labeller = LABELS[line.action];
  if (!labeller) return 'Opération enregistrée sur votre messagerie';
  return labeller(line, ctx, line.actor === ctx.viewer);
}
