/**
 * The patches on smtp-server's internals (src/smtp/extensions.ts): the version they were written
 * against is pinned, the internals they wrap exist, and replies come out as intended.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { installSmtpExtensions } from '../../../src/smtp/extensions.js';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '../../..');

/** A connection with no socket of its own: what send() writes is collected. */
function connection(options: { secure?: boolean; disabled?: string[] } = {}) {
  installSmtpExtensions();
  const written: string[] = [];
  const c = Object.create(SMTPConnection.prototype) as SMTPConnection & Record<string, unknown>;
  Object.assign(c, {
    session: {},
    secure: options.secure ?? false,
    _upgrading: false,
    _socket: { destroyed: false, readyState: 'open', write: (s: string) => written.push(s.trimEnd()) },
    _server: { options: { hideENHANCEDSTATUSCODES: false, disabledCommands: options.disabled ?? [], maxRecipients: 100 }, logger: { debug() {} } },
  });
  return { c, written };
}

describe('smtp-server extensions', () => {
  it('runs against the exact smtp-server version it was written for', () => {
    const pinned = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['smtp-server'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect((require('smtp-server/package.json') as { version: string }).version).toBe(pinned);
  });

  it('finds the internals it wraps or relies on', () => {
    const conn = SMTPConnection.prototype as unknown as Record<string, unknown>;
    for (const name of ['send', '_createParser', '_onCommand']) expect(typeof conn[name], name).toBe('function');
    const stream = SMTPStream.prototype as unknown as Record<string, unknown>;
    for (const name of ['_write', 'startDataMode', '_endDataMode']) expect(typeof stream[name], name).toBe('function');
  });

  it('keeps an enhanced code chosen by the application', () => {
    const { c, written } = connection({ secure: true });
    c.send(550, '5.7.1 Envoi refusé / refused');
    expect(written).toEqual(['550 5.7.1 Envoi refusé / refused']);
  });

  it("says the library's texts in both languages, with the code RFC 3207 wants", () => {
    const { c, written } = connection();
    c.send(538, 'Error: Must issue a STARTTLS command first');
    c.send(250, 'Accepted', 'MAIL_FROM_OK');
    c.send(354, 'End data with <CR><LF>.<CR><LF>');
    c.send(334, 'VXNlcm5hbWU6');
    expect(written).toEqual([
      "530 5.7.0 Chiffrement requis : envoyez STARTTLS d'abord / Must issue a STARTTLS command first",
      '250 2.1.0 Expéditeur accepté / Sender accepted',
      '354 Envoyez le message, terminé par <CR><LF>.<CR><LF> / End data with <CR><LF>.<CR><LF>',
      '334 VXNlcm5hbWU6',
    ]);
  });

  it('answers AUTH before STARTTLS with 530 where AUTH comes after TLS, and not on a door without AUTH', () => {
    const submission = connection();
    submission.c.send(500, 'Error: command not recognized', 'AUTH');
    expect(submission.written[0]).toMatch(/^530 5\.7\.0 .*STARTTLS/);
    const mx = connection({ disabled: ['AUTH'] });
    mx.c.send(500, 'Error: command not recognized', 'AUTH');
    expect(mx.written[0]).toBe('500 5.5.2 Commande inconnue / Command not recognized');
  });
});
