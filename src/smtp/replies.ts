/**
 * How the SMTP doors say the pipeline's refusals: a reply code, an enhanced status code
 * (RFC 3463) and the refusal's own French and English words. The doors' own replies, and
 * smtp-server's, are said the same way: every reply has its enhanced code and both languages.
 */
import { refusalText, tooLarge, type Refusal, type RefusalKind } from '../domain/refusals.js';

const BY_KIND: Record<RefusalKind, [number, string]> = {
  sender: [550, '5.7.1'],
  rule: [550, '5.7.1'],
  mailbox: [550, '5.1.1'],
  size: [552, '5.3.4'],
  document: [554, '5.6.0'],
};

export interface SmtpError extends Error {
  responseCode: number;
}

export function smtpError(code: number, enhanced: string, text: string): SmtpError {
  // The enhanced code leads the message: see extensions.ts for why smtp-server keeps it.
  return Object.assign(new Error(`${enhanced} ${text}`), { responseCode: code });
}

export function refusalReply(r: Refusal): SmtpError {
  const [code, enhanced] = r.code === 'INVALID_ADDRESS' ? [553, '5.1.3'] : BY_KIND[r.kind];
  return smtpError(code, enhanced, refusalText(r));
}

export const TLS_REQUIRED = () =>
  smtpError(530, '5.7.0', 'Chiffrement requis : envoyez STARTTLS d\'abord / Must issue a STARTTLS command first');

export const TEMPORARY_FAILURE = () =>
  smtpError(451, '4.3.0', 'Erreur temporaire, réessayez plus tard / Temporary local error, please try again later');

export const TOO_MANY_CONNECTIONS = (over: 'total' | 'client', limit: number) =>
  over === 'client'
    ? smtpError(421, '4.7.0', `Trop de connexions depuis votre adresse (${limit} au plus), réessayez plus tard / Too many connections from your address (at most ${limit}), try again later`)
    : smtpError(421, '4.7.0', `Trop de connexions en cours (${limit} au plus), réessayez plus tard / Too many connections (at most ${limit}), try again later`);

export const UNSUPPORTED_PARAMETER = (command: 'MAIL' | 'RCPT', name: string) =>
  smtpError(555, '5.5.4', `Paramètre ${name} non pris en charge pour ${command} / ${command} parameter ${name} not supported`);

export const NEED_MAIL = () => smtpError(503, '5.5.1', "Envoyez d'abord MAIL / Send MAIL first");

export const AUTH_REQUIRED = '5.7.0 Authentification requise / Authentication required';

/** A reply of smtp-server said our way. */
export interface LibraryReply {
  code: number;
  /** `null`: none (3xx); absent: the library's own, which it picks by context */
  enhanced?: string | null;
  text: string;
}

interface Said {
  /** the library's text, exactly; captures feed the translation */
  text: RegExp;
  /** the reply code to send instead of the library's */
  code?: number;
  /** the enhanced code; `null` for none (3xx), absent to keep the library's choice by context */
  enhanced?: string | null;
  say: (m: RegExpExecArray, context: ReplyContext) => [fr: string, en: string];
}

/** What some translations need to know of the session or the door. */
export interface ReplyContext {
  /** the library's context label of the reply (MAIL_FROM_OK, TOO_MANY_RECIPIENTS…) */
  label?: string | false;
  maxRecipients?: number;
}

const fixed =
  (fr: string, en: string) =>
  (): [string, string] => [fr, en];

/**
 * smtp-server's own replies (lib/smtp-connection.js, lib/sasl.js, lib/smtp-server.js of the
 * pinned version), in French and English with an enhanced code. A test reads the library's
 * sources and fails on any reply text missing here, so an upgrade cannot bring English back.
 */
const LIBRARY: Said[] = [
  // Connection
  { text: /^.* Too many connected clients, try again in a moment$/, enhanced: '4.7.0', say: fixed('Trop de connexions en cours, réessayez dans un moment', 'Too many connections, try again in a moment') },
  { text: /^Timeout - closing connection$/, enhanced: '4.4.2', say: fixed("Délai d'inactivité dépassé, connexion fermée", 'Idle timeout, closing connection') },
  { text: /^Server shutting down$/, enhanced: '4.3.2', say: fixed('Arrêt du serveur en cours, réessayez plus tard', 'Server shutting down, try again later') },
  { text: /^.* You talk too soon$/, enhanced: '4.5.0', say: fixed("Vous parlez trop tôt : attendez l'accueil du serveur", 'You talk too soon: wait for the greeting') },
  { text: /^HTTP requests not allowed$/, enhanced: '4.7.0', say: fixed('Requêtes HTTP refusées', 'HTTP requests not allowed') },
  { text: /^Error: Command line too long$/, enhanced: '4.5.0', say: fixed('Ligne de commande trop longue, connexion fermée', 'Command line too long, closing connection') },
  {
    text: /^Error: command line deadline passed \((\d+) s\)$/,
    enhanced: '4.4.2',
    say: (m) => [`Ligne de commande inachevée après ${m[1]} s, connexion fermée`, `Command line not complete after ${m[1]} s, closing connection`],
  },
  {
    text: /^Error: DATA deadline passed \((\d+) s\)$/,
    enhanced: '4.4.2',
    say: (m) => [`Message inachevé après ${m[1]} s, connexion fermée`, `Message data not complete after ${m[1]} s, closing connection`],
  },
  { text: /^Error: too many unrecognized commands$/, enhanced: '4.7.0', say: fixed('Trop de commandes inconnues, connexion fermée', 'Too many unrecognized commands, closing connection') },
  { text: /^Error: too many unauthenticated commands$/, enhanced: '4.7.0', say: fixed('Trop de commandes sans authentification, connexion fermée', 'Too many unauthenticated commands, closing connection') },
  { text: /^Error: internal server error$/, enhanced: '4.3.0', say: fixed('Erreur temporaire, réessayez plus tard', 'Temporary local error, please try again later') },
  // Commands
  { text: /^Error: command not recognized$/, enhanced: '5.5.2', say: fixed('Commande inconnue', 'Command not recognized') },
  { text: /^Error: (\S+) not allowed in LMTP server$/, enhanced: '5.5.1', say: (m) => [`${m[1]} non autorisé en LMTP`, `${m[1]} not allowed in LMTP`] },
  { text: /^Error: send (\S+) first$/, enhanced: '5.5.1', say: (m) => [`Envoyez d'abord ${m[1]}`, `Send ${m[1]} first`] },
  { text: /^Error: authentication Required$/, enhanced: '5.7.0', say: fixed('Authentification requise', 'Authentication required') },
  { text: /^Error: duplicate (\S+) parameter$/, enhanced: '5.5.4', say: (m) => [`Paramètre ${m[1]} en double`, `Duplicate ${m[1]} parameter`] },
  { text: /^Error: (\S+) parameter requires a value$/, enhanced: '5.5.4', say: (m) => [`Le paramètre ${m[1]} demande une valeur`, `The ${m[1]} parameter requires a value`] },
  { text: /^Error: [sS]yntax: (EHLO|HELO|LHLO) hostname$/, enhanced: '5.5.4', say: (m) => [`Syntaxe : ${m[1]} nom-d-hôte`, `Syntax: ${m[1]} hostname`] },
  { text: /^Error: Bad hostname syntax$/, enhanced: '5.5.4', say: fixed("Nom d'hôte invalide", 'Bad hostname syntax') },
  { text: /^Bye$/, enhanced: '2.0.0', say: fixed('Au revoir', 'Bye') },
  { text: /^OK$/, enhanced: '2.0.0', say: fixed('Bien reçu', 'OK') },
  { text: /^Flushed$/, enhanced: '2.0.0', say: fixed('Transaction annulée', 'Transaction reset') },
  { text: /^See https:\/\/tools\.ietf\.org\/html\/rfc5321 for details$/, enhanced: '2.0.0', say: fixed('Voir la RFC 5321', 'See RFC 5321') },
  { text: /^Error: Syntax: VRFY address$/, enhanced: '5.5.4', say: fixed('Syntaxe : VRFY adresse', 'Syntax: VRFY address') },
  { text: /^Try to send something\. No promises though$/, enhanced: '2.0.0', say: fixed("Adresse non vérifiée : envoyez le message pour savoir", 'Address not verified: send the message to find out') },
  { text: /^Error: Not allowed$/, enhanced: '5.7.0', say: fixed('Commande non autorisée', 'Command not allowed') },
  { text: /^Error: Mail transaction in progress$/, enhanced: '5.5.1', say: fixed('Une transaction est en cours', 'Mail transaction in progress') },
  { text: /^Error: Bad command parameter syntax(?:\. (Invalid address|Invalid hostname))?$/, enhanced: '5.5.4', say: fixed('Paramètre de commande invalide', 'Bad command parameter syntax') },
  { text: /^Ready to start TLS$/, enhanced: '2.0.0', say: fixed('Prêt pour TLS', 'Ready to start TLS') },
  { text: /^Error: syntax: STARTTLS$/, enhanced: '5.5.4', say: fixed('Syntaxe : STARTTLS sans argument', 'Syntax: STARTTLS takes no argument') },
  { text: /^Error: TLS already active$/, enhanced: '5.5.1', say: fixed('TLS déjà actif', 'TLS already active') },
  // RFC 3207 §4 / RFC 4954 §4: 530 5.7.0, not smtp-server's 538.
  { text: /^Error: Must issue a STARTTLS command first$/, code: 530, enhanced: '5.7.0', say: fixed("Chiffrement requis : envoyez STARTTLS d'abord", 'Must issue a STARTTLS command first') },
  { text: /^Error: No identity changes permitted$/, enhanced: '5.5.1', say: fixed("Déjà authentifié : pas de changement d'identité", 'Already authenticated: no identity changes permitted') },
  { text: /^Error: Unrecognized authentication type$/, enhanced: '5.5.4', say: fixed("Méthode d'authentification inconnue", 'Unrecognized authentication type') },
  // MAIL, RCPT, DATA
  { text: /^Error: Bad message size syntax$/, enhanced: '5.5.4', say: fixed('Paramètre SIZE invalide', 'Bad message size syntax') },
  {
    text: /^Error: message exceeds fixed maximum message size (\d+)$/,
    enhanced: '5.3.4',
    say: (m) => {
      const r = tooLarge('message');
      return [r.fr, `${r.en} (the limit is ${m[1]} bytes)`];
    },
  },
  { text: /^Invalid BODY parameter value\. Must be 7BIT or 8BITMIME$/, enhanced: '5.5.4', say: fixed('BODY doit valoir 7BIT ou 8BITMIME', 'BODY must be 7BIT or 8BITMIME') },
  { text: /^Invalid SMTPUTF8 parameter\. This flag does not accept a value$/, enhanced: '5.5.4', say: fixed('SMTPUTF8 ne prend pas de valeur', 'SMTPUTF8 takes no value') },
  { text: /^REQUIRETLS not permitted on non-TLS connections$/, enhanced: '5.7.0', say: fixed('REQUIRETLS exige une connexion chiffrée', 'REQUIRETLS not permitted on non-TLS connections') },
  { text: /^Invalid REQUIRETLS parameter\. This flag does not accept a value$/, enhanced: '5.5.4', say: fixed('REQUIRETLS ne prend pas de valeur', 'REQUIRETLS takes no value') },
  { text: /^Invalid RET parameter value\. Must be FULL or HDRS$/, enhanced: '5.5.4', say: fixed('RET doit valoir FULL ou HDRS', 'RET must be FULL or HDRS') },
  { text: /^Error: Bad sender address syntax$/, enhanced: '5.1.7', say: fixed("Adresse d'expéditeur invalide", 'Bad sender address syntax') },
  { text: /^Error: nested MAIL command$/, enhanced: '5.5.1', say: fixed('MAIL déjà donné pour ce message', 'Nested MAIL command') },
  {
    text: /^Accepted$/,
    say: (_m, c) => (c.label === 'MAIL_FROM_OK' ? ['Expéditeur accepté', 'Sender accepted'] : c.label === 'RCPT_TO_OK' ? ['Destinataire accepté', 'Recipient accepted'] : ['Accepté', 'Accepted']),
  },
  { text: /^Error: Bad recipient address syntax$/, enhanced: '5.1.3', say: fixed('Adresse de destinataire invalide', 'Bad recipient address syntax') },
  { text: /^Error: need MAIL command$/, enhanced: '5.5.1', say: fixed("Envoyez d'abord MAIL", 'Send MAIL first') },
  { text: /^Error: need RCPT command$/, enhanced: '5.5.1', say: fixed("Envoyez d'abord RCPT", 'Send RCPT first') },
  { text: /^Error: NOTIFY parameter must be NEVER, SUCCESS, FAILURE, or DELAY$/, enhanced: '5.5.4', say: fixed('NOTIFY doit valoir NEVER, SUCCESS, FAILURE ou DELAY', 'NOTIFY must be NEVER, SUCCESS, FAILURE or DELAY') },
  { text: /^Error: NOTIFY=NEVER cannot be combined with other values$/, enhanced: '5.5.4', say: fixed('NOTIFY=NEVER ne se combine pas', 'NOTIFY=NEVER cannot be combined with other values') },
  { text: /^Error: Bad ORCPT parameter syntax$/, enhanced: '5.5.4', say: fixed('Paramètre ORCPT invalide', 'Bad ORCPT parameter syntax') },
  {
    text: /^Error: too many recipients$/,
    enhanced: '4.5.3',
    say: (_m, c) => {
      const most = c.maxRecipients ? ` (${c.maxRecipients} au plus)` : '';
      return [`Trop de destinataires pour un message${most}`, `Too many recipients for one message${most.replace('au plus', 'at most')}`];
    },
  },
  { text: /^OK: message (?:accepted|queued)$/, enhanced: '2.6.0', say: fixed('Message accepté', 'Message accepted') },
  { text: /^End data with <CR><LF>\.<CR><LF>$/, enhanced: null, say: fixed('Envoyez le message, terminé par <CR><LF>.<CR><LF>', 'End data with <CR><LF>.<CR><LF>') },
  // sendmail's jokes; the doors disable these commands, but should one answer, it is plain.
  { text: /^(?:You are no wizard!|Mere mortals must not mutter that mantra|Error: Invoking shell is not allowed\. This incident will be reported\.|Can not kill Mom)$/, enhanced: '5.5.2', say: fixed('Commande inconnue', 'Command not recognized') },
  { text: /^Please pass, oh mighty wizard$/, code: 500, enhanced: '5.5.2', say: fixed('Commande inconnue', 'Command not recognized') },
  // SASL
  { text: /^Error: syntax: AUTH (PLAIN token|LOGIN|XOAUTH2 token|CRAM-MD5)$/, enhanced: '5.5.4', say: (m) => [`Syntaxe : AUTH ${m[1]}`, `Syntax: AUTH ${m[1]}`] },
  { text: /^Authentication aborted$/, enhanced: '5.7.0', say: fixed('Authentification abandonnée', 'Authentication aborted') },
  { text: /^Error: invalid userdata$/, enhanced: '5.5.2', say: fixed("Données d'authentification illisibles", 'Invalid authentication data') },
  { text: /^Error: missing username$/, enhanced: '5.5.4', say: fixed("Nom d'utilisateur manquant", 'Missing username') },
  { text: /^Error: (?:Authentication credentials invalid|Username and Password not accepted)$/, enhanced: '5.7.8', say: fixed('Identifiants invalides', 'Authentication credentials invalid') },
  { text: /^Authentication successful$/, enhanced: '2.7.0', say: fixed('Authentification réussie', 'Authentication successful') },
];

/** The library's reply in our words, or undefined when the text is not one of its own. */
export function libraryReply(code: number, text: string, context: ReplyContext): LibraryReply | undefined {
  for (const said of LIBRARY) {
    const m = said.text.exec(text);
    if (!m) continue;
    const [fr, en] = said.say(m, context);
    return { code: said.code ?? code, enhanced: said.enhanced, text: `${fr} / ${en}` };
  }
  return undefined;
}
