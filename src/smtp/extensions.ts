/**
 * What smtp-server does not do that this gateway needs, added through the library's own
 * exported modules (smtp-server/lib/*) rather than a fork. These touch its internals, so
 * package.json pins smtp-server to the exact version they were written and tested against
 * (test/unit/smtp/extensions.test.ts, test/e2e/smtp-hardening.test.ts).
 *
 * 1. Enhanced status codes chosen by the application. smtp-server derives the enhanced code from
 *    the reply code alone (550 always becomes 5.1.1), but a policy refusal is `550 5.7.1` and a
 *    bad document `554 5.6.0`. A reply text that starts with its own enhanced code keeps it.
 * 2. Every reply in French and English: the library's own English texts are said our way
 *    (replies.ts), and AUTH before STARTTLS gets `530 5.7.0` (RFC 3207 §4), not "unknown command".
 * 3. Deadlines on a whole command line and a whole DATA phase (deadlines.ts), set per server.
 * 4. SASL EXTERNAL (RFC 4422 appendix A): a professional logs in with the client certificate
 *    presented during STARTTLS, issued by `mssgw certs issue NAME --client`.
 */
import type { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import SASL from 'smtp-server/lib/sasl.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { watchDeadlines, type Deadlines } from './deadlines.js';
import { TLS_REQUIRED, libraryReply } from './replies.js';

const OWN_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

type Send = (code: number, data?: string | string[], context?: string | false) => void;
type Callback = () => void;

interface ConnectionLike {
  session: { user?: unknown; transmissionType?: string };
  secure: boolean;
  _server: {
    options: { maxRecipients?: number; disabledCommands: string[] };
    onAuth(
      auth: { method: string; username: string; password?: string },
      session: unknown,
      done: (err: (Error & { responseCode?: number }) | null | undefined, response?: { user?: unknown; message?: string; responseCode?: number }) => void,
    ): void;
  };
  _nextHandler?: (line: string, callback: Callback) => void;
  _transmissionType(): string;
  send: Send;
}

let installed = false;
const deadlines = new WeakMap<object, Deadlines>();

/** The deadlines of every connection of `server` (its parsers are made after this). */
export function setDeadlines(server: SMTPServer, limits: Deadlines): void {
  deadlines.set(server, limits);
}

export function installSmtpExtensions(): void {
  if (installed) return;
  installed = true;

  const proto = SMTPConnection.prototype as unknown as { send: Send; _createParser(this: ConnectionLike): SMTPStream };
  const send = proto.send;
  proto.send = function (this: ConnectionLike, code, data, context) {
    // 334 carries SASL challenges (base64), never words to translate.
    if (typeof data !== 'string' || code === 334) return send.call(this, code, data, context);
    if (OWN_ENHANCED_CODE.test(data)) return send.call(this, code, data, false);
    // Submission disables AUTH until STARTTLS, so the library calls it unknown: it needs TLS first.
    if (code === 500 && context === 'AUTH' && !this.secure && !this._server.options.disabledCommands.includes('AUTH')) {
      const e = TLS_REQUIRED();
      return send.call(this, e.responseCode, e.message, false);
    }
    const said = libraryReply(code, data, { label: context, maxRecipients: this._server.options.maxRecipients });
    if (!said) return send.call(this, code, data, context);
    if (said.enhanced === undefined) return send.call(this, said.code, said.text, context);
    return send.call(this, said.code, said.enhanced ? `${said.enhanced} ${said.text}` : said.text, false);
  };

  const createParser = proto._createParser;
  proto._createParser = function () {
    const parser = createParser.call(this);
    const limits = deadlines.get(this._server);
    if (limits) watchDeadlines(parser, limits);
    return parser;
  };

  // The authorisation identity is optional; the certificate itself identifies the user, and
  // onAuth (with method EXTERNAL and no password) decides from the session's certificate.
  const table = SASL as unknown as Record<string, (this: ConnectionLike, args: string[], callback: Callback) => void>;
  table.SASL_EXTERNAL = function (args, callback) {
    if (args.length > 1) {
      this.send(501, '5.5.4 Syntaxe : AUTH EXTERNAL [identité] / Syntax: AUTH EXTERNAL [authzid]');
      return callback();
    }
    const finish = (encoded: string, cb: Callback) => {
      const token = encoded.trim();
      if (token === '*') {
        this.send(501, '5.7.0 Authentification abandonnée / Authentication aborted');
        return cb();
      }
      const authzid = token === '=' || token === '' ? '' : Buffer.from(token, 'base64').toString('utf8');
      if (/[\x00-\x1f\x7f]/.test(authzid)) {
        this.send(501, "5.5.2 Identité d'autorisation invalide / Invalid authorization identity");
        return cb();
      }
      this._server.onAuth({ method: 'EXTERNAL', username: authzid }, this.session, (err, response) => {
        if (err) {
          this.send(err.responseCode ?? 535, err.message);
          return cb();
        }
        if (!response?.user) {
          this.send(response?.responseCode ?? 535, response?.message ?? '5.7.8 Aucun certificat client valide pour cette identité / No valid client certificate for this identity');
          return cb();
        }
        this.session.user = response.user;
        this.session.transmissionType = this._transmissionType();
        this.send(235, '2.7.0 Authentification réussie / Authentication successful');
        cb();
      });
    };
    if (args.length === 0) {
      this._nextHandler = (line, cb) => finish(line, cb);
      this.send(334);
      return callback();
    }
    finish(args[0]!, callback);
  };
}
