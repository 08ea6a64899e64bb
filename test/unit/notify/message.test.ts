import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { NOTIFICATION_SUBJECT, notificationMessage } from '../../../src/notify/message.js';

const config = parseConfig({
  notify: { enabled: true, from: 'Messagerie santé <ne-pas-repondre@mss.example.fr>', webmailUrl: 'https://mss.example.fr/webmail/' },
});

describe('notification message', () => {
  it('says only that something is new, where to look, in French then English', () => {
    const message = notificationMessage(config);
    expect(message.subject).toBe(NOTIFICATION_SUBJECT);
    expect(message.from).toBe('Messagerie santé <ne-pas-repondre@mss.example.fr>');
    expect(message.text).toContain('https://mss.example.fr/webmail/');
    expect(message.html).toContain('href="https://mss.example.fr/webmail/"');
    expect(message.text.indexOf('Vous avez du nouveau')).toBeLessThan(message.text.indexOf('There is something new'));
    expect(message.headers['Auto-Submitted']).toBe('auto-generated');
  });

  it('names no sender, subject, document or illness', () => {
    const message = notificationMessage(config);
    const everything = `${message.subject}\n${message.text}\n${message.html}`.toLowerCase();
    for (const word of ['dr ', 'docteur', 'doctor', 'de la part', 'from:', 'objet', 'subject', 'document', 'ordonnance', 'prescription', 'résultat', 'result', 'analyse', 'hôpital', 'hospital', 'pharmacie', 'pharmacy', 'diagnostic', 'maladie', 'illness', 'cda', 'pdf']) {
      expect(everything, word).not.toContain(word);
    }
    // No address other than the webmail link.
    expect(everything.replaceAll('https://mss.example.fr/webmail/', '')).not.toMatch(/@|https?:/);
  });

  it('is the same for everyone: it depends on the configuration alone', () => {
    expect(notificationMessage(config)).toEqual(notificationMessage(config));
    expect(notificationMessage.length).toBe(1);
  });

  it('escapes the configured link in the HTML version', () => {
    const odd = parseConfig({ notify: { webmailUrl: 'https://x.test/?a=1&b="2"' } });
    expect(notificationMessage(odd).html).toContain('href="https://x.test/?a=1&#38;b=&#34;2&#34;"');
  });
});
