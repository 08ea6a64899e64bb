/**
 * Two things smtp-server does not do that this gateway needs, added through the library's own
 * exported modules (smtp-server/lib/*) rather than a fork:
 *
 * 1. Enhanced status codes chosen by the application. smtp-server derives the enhanced code from
 *    the reply code alone (550 always becomes 5.1.1), but a policy refusal is `550 5.7.1` and a
 *    bad document `554 5.6.0`. An error message that starts with its own enhanced code keeps it.
 * 2. SASL EXTERNAL (RFC 4422 appendix A): a professional logs in with the client certificate
 *    presented during STARTTLS, issued by `mssgw certs issue NAME --client`.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import SASL from 'smtp-server/lib/sasl.js';

const OWN_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

type Send = (code: number, data?: string | string[], context?: string | false) => void;
type Callback = () => void;

interface ConnectionLike {
  session: { user?: unknown; transmissionType?: string };
  _server: {
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

export function installSmtpExtensions(): void {
  if (installed) return;
  installed = true;

  const proto = SMTPConnection.prototype as unknown as { send: Send };
  const send = proto.send;
  proto.send = function (this: unknown, code, data, context) {
    if (typeof data === 'string' && code >= 400 && OWN_ENHANCED_CODE.test(data)) {
      return send.call(this, code, data, false);
    }
    return send.call(this, code, data, context);
  };

  // The authorisation identity is optional; the certificate itself identifies the user, and
  // onAuth (with method EXTERNAL and no password) decides from the session's certificate.
  const table = SASL as unknown as Record<string, (this: ConnectionLike, args: string[], callback: Callback) => void>;
  table.SASL_EXTERNAL = function (args, callback) {
    if (args.length > 1) {
      this.send(501, 'Error: syntax: AUTH EXTERNAL [authzid]');
      return callback();
    }
    const finish = (encoded: string, cb: Callback) => {
      const token = encoded.trim();
      if (token === '*') {
        this.send(501, 'Authentication aborted');
        return cb();
      }
      const authzid = token === '=' || token === '' ? '' : Buffer.from(token, 'base64').toString('utf8');
      if (/[\x00-\x1f\x7f]/.test(authzid)) {
        this.send(501, 'Error: invalid authorization identity');
        return cb();
      }
      this._server.onAuth({ method: 'EXTERNAL', username: authzid }, this.session, (err, response) => {
        if (err) {
          this.send(err.responseCode ?? 535, err.message);
          return cb();
        }
        if (!response?.user) {
          this.send(response?.responseCode ?? 535, response?.message ?? '5.7.8 Error: no valid client certificate for this identity');
          return cb();
        }
        this.session.user = response.user;
        this.session.transmissionType = this._transmissionType();
        this.send(235, 'Authentication successful');
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
