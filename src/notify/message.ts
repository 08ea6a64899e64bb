/**
 * The one notification e-mail a citizen gets at their personal address. It goes through an
 * ordinary mail provider, outside the trust space, so it says only that something is new and
 * where to look: no sender, no subject, no document, nothing that hints at an illness.
 * It is the same text for every citizen and every event, by construction: it is built from the
 * configuration alone.
 */
import type { Config } from '../config.js';

export interface NotificationMessage {
  from: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export const NOTIFICATION_SUBJECT = 'Nouveau dans votre messagerie de santé / Something new in your health messaging';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function notificationMessage(config: Pick<Config, 'notify'>): NotificationMessage {
  const url = config.notify.webmailUrl;
  const text = [
    'Bonjour,',
    '',
    'Vous avez du nouveau dans votre messagerie de santé.',
    `Pour le consulter, connectez-vous à votre messagerie : ${url}`,
    '',
    "Ce message est envoyé automatiquement, merci de ne pas y répondre. Pour votre confidentialité, il ne contient aucune information sur le contenu.",
    '',
    '---',
    '',
    'Hello,',
    '',
    'There is something new in your health messaging.',
    `To see it, sign in to your messaging: ${url}`,
    '',
    'This message is sent automatically, please do not reply. For your privacy, it contains no information about the content.',
    '',
  ].join('\n');
  const link = `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
  const html = [
    '<!doctype html><html lang="fr"><body>',
    '<p>Bonjour,</p>',
    '<p>Vous avez du nouveau dans votre messagerie de santé.</p>',
    `<p>Pour le consulter, connectez-vous à votre messagerie : ${link}</p>`,
    '<p><small>Ce message est envoyé automatiquement, merci de ne pas y répondre. Pour votre confidentialité, il ne contient aucune information sur le contenu.</small></p>',
    '<hr>',
    '<div lang="en">',
    '<p>Hello,</p>',
    '<p>There is something new in your health messaging.</p>',
    `<p>To see it, sign in to your messaging: ${link}</p>`,
    '<p><small>This message is sent automatically, please do not reply. For your privacy, it contains no information about the content.</small></p>',
    '</div>',
    '</body></html>',
  ].join('\n');
  return {
    from: config.notify.from,
    subject: NOTIFICATION_SUBJECT,
    text,
    html,
    // RFC 3834: automatic, so vacation responders and the like stay quiet.
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
