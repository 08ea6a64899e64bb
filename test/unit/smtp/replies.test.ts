/**
 * Every reply smtp-server can send is said with an enhanced code in French and English. The
 * library's sources are read: a reply text of the pinned version that is not among the samples
 * below fails this test, so an upgrade cannot bring English-only replies back unnoticed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { libraryReply } from '../../../src/smtp/replies.js';

const BILINGUAL = /^\S.* \/ \S.*$/;

/** Replies as the library sends them: [code, text, context label]. */
const SAMPLES: Array<[number, string, string?]> = [
  [421, 'localhost Too many connected clients, try again in a moment'],
  [421, 'Timeout - closing connection'],
  [421, 'Server shutting down'],
  [421, 'localhost You talk too soon'],
  [421, 'HTTP requests not allowed'],
  [421, 'Error: Command line too long'],
  [421, 'Error: command line deadline passed (60 s)'],
  [421, 'Error: DATA deadline passed (300 s)'],
  [421, 'Error: too many unrecognized commands'],
  [421, 'Error: too many unauthenticated commands'],
  [451, 'Error: internal server error'],
  [500, 'Error: command not recognized'],
  [500, 'Error: HELO not allowed in LMTP server'],
  [503, 'Error: send HELO/EHLO first'],
  [530, 'Error: authentication Required'],
  [501, 'Error: duplicate SIZE parameter'],
  [501, 'Error: RET parameter requires a value'],
  [501, 'Error: syntax: EHLO hostname'],
  [501, 'Error: Syntax: HELO hostname'],
  [501, 'Error: Bad hostname syntax'],
  [221, 'Bye'],
  [250, 'OK'],
  [250, 'Flushed'],
  [214, 'See https://tools.ietf.org/html/rfc5321 for details'],
  [501, 'Error: Syntax: VRFY address'],
  [252, 'Try to send something. No promises though'],
  [550, 'Error: Not allowed'],
  [503, 'Error: Mail transaction in progress'],
  [501, 'Error: Bad command parameter syntax'],
  [501, 'Error: Bad command parameter syntax. Invalid address'],
  [501, 'Error: Bad command parameter syntax. Invalid hostname'],
  [220, 'Ready to start TLS'],
  [501, 'Error: syntax: STARTTLS'],
  [503, 'Error: TLS already active'],
  [538, 'Error: Must issue a STARTTLS command first'],
  [503, 'Error: No identity changes permitted'],
  [504, 'Error: Unrecognized authentication type'],
  [501, 'Error: Bad message size syntax'],
  [552, 'Error: message exceeds fixed maximum message size 20971520', 'MESSAGE_TOO_BIG'],
  [501, 'Invalid BODY parameter value. Must be 7BIT or 8BITMIME'],
  [501, 'Invalid SMTPUTF8 parameter. This flag does not accept a value'],
  [530, 'REQUIRETLS not permitted on non-TLS connections'],
  [501, 'Invalid REQUIRETLS parameter. This flag does not accept a value'],
  [501, 'Invalid RET parameter value. Must be FULL or HDRS'],
  [501, 'Error: Bad sender address syntax', 'SENDER_SYNTAX_ERROR'],
  [503, 'Error: nested MAIL command'],
  [250, 'Accepted', 'MAIL_FROM_OK'],
  [250, 'Accepted', 'RCPT_TO_OK'],
  [501, 'Error: Bad recipient address syntax', 'MAILBOX_SYNTAX_ERROR'],
  [503, 'Error: need MAIL command'],
  [503, 'Error: need RCPT command'],
  [501, 'Error: NOTIFY parameter must be NEVER, SUCCESS, FAILURE, or DELAY'],
  [501, 'Error: NOTIFY=NEVER cannot be combined with other values'],
  [501, 'Error: Bad ORCPT parameter syntax'],
  [452, 'Error: too many recipients', 'TOO_MANY_RECIPIENTS'],
  [250, 'OK: message accepted', 'DATA_OK'],
  [250, 'OK: message queued', 'DATA_OK'],
  [354, 'End data with <CR><LF>.<CR><LF>'],
  [500, 'You are no wizard!'],
  [200, 'Please pass, oh mighty wizard'],
  [500, 'Mere mortals must not mutter that mantra'],
  [500, 'Error: Invoking shell is not allowed. This incident will be reported.'],
  [500, 'Can not kill Mom'],
  [501, 'Error: syntax: AUTH PLAIN token'],
  [501, 'Error: syntax: AUTH LOGIN'],
  [501, 'Error: syntax: AUTH XOAUTH2 token'],
  [501, 'Error: syntax: AUTH CRAM-MD5'],
  [501, 'Authentication aborted'],
  [501, 'Error: invalid userdata'],
  [501, 'Error: missing username'],
  [535, 'Error: Authentication credentials invalid'],
  [535, 'Error: Username and Password not accepted'],
  [235, 'Authentication successful'],
];

/**
 * String literals of the library's reply sites that are not reply texts: pieces of texts built
 * by concatenation (each covered by a sample), the greeting's words (the banner is ours),
 * SASL challenges, context labels, and errors that never reach a client as such.
 */
const NOT_REPLIES = new Set([
  ' ', '', 'Error: ', ' first', ' hostname', ' parameter', ' parameter requires a value', ' not allowed in LMTP server',
  'Error: duplicate ', 'Error: send ', 'Error: syntax: ', 'Error: message exceeds fixed maximum message size ',
  'EHLO', 'LHLO', 'HELO/EHLO', 'ESMTP', 'LMTP', 'UGFzc3dvcmQ6', 'VXNlcm5hbWU6', 'base64', 'string', 'Timeout',
  // smtp-server's default onAuth, replaced by ours
  'Authentication not implemented',
  // internal errors: a closed socket, the PROXY protocol (not used), a missing command handler
  'Command handler is not set', 'Connection closed before the message was received in full',
  'Socket closed before PROXY header was received', 'Socket ended before PROXY header was received',
  'Socket closed while initiating TLS', 'TLS handshake timeout',
]);

const require = createRequire(import.meta.url);
const LIB = path.join(path.dirname(require.resolve('smtp-server/package.json')), 'dist/esm');

function replyLiterals(): string[] {
  const found = new Set<string>();
  for (const file of ['smtp-connection.js', 'sasl.js', 'smtp-server.js', 'smtp-stream.js']) {
    for (const line of readFileSync(path.join(LIB, file), 'utf8').split('\n')) {
      if (/^\s*\/\//.test(line) || !/send\(|message: '|error = '|error: '|new Error\('/.test(line)) continue;
      for (const m of line.matchAll(/'((?:[^'\\]|\\.)*)'/g)) found.add(m[1]!);
    }
  }
  return [...found].filter((t) => !NOT_REPLIES.has(t) && !/^[A-Z_]+$/.test(t));
}

describe("smtp-server's replies, said our way", () => {
  it('has a sample for every reply text of the library', () => {
    const missing = replyLiterals().filter((text) => !SAMPLES.some(([, sample]) => sample.includes(text)));
    expect(missing).toEqual([]);
  });

  it.each(SAMPLES)('%i %s', (code, text, label) => {
    const said = libraryReply(code, text, { label, maxRecipients: 100 });
    expect(said, 'no translation').toBeDefined();
    expect(said!.text).toMatch(BILINGUAL);
    // 3xx replies carry no enhanced code (RFC 2034); the others have one that agrees with the code.
    if (said!.code >= 300 && said!.code < 400) expect(said!.enhanced).toBeNull();
    else if (said!.enhanced !== undefined) expect(said!.enhanced?.[0]).toBe(String(said!.code)[0]);
    else expect(label).toMatch(/_OK$/); // the library's own contextual 2.1.0 / 2.1.5
  });

  it('says 530 5.7.0 where the library says 538 (RFC 3207)', () => {
    expect(libraryReply(538, 'Error: Must issue a STARTTLS command first', {})).toMatchObject({ code: 530, enhanced: '5.7.0' });
  });

  it('names the limits it knows: message size, recipients, deadlines', () => {
    expect(libraryReply(552, 'Error: message exceeds fixed maximum message size 1000', {})!.text).toMatch(/message too large.*1000 bytes/);
    expect(libraryReply(452, 'Error: too many recipients', { maxRecipients: 7 })!.text).toBe(
      'Trop de destinataires pour un message (7 au plus) / Too many recipients for one message (7 at most)',
    );
    expect(libraryReply(421, 'Error: DATA deadline passed (300 s)', {})).toMatchObject({ enhanced: '4.4.2', text: expect.stringMatching(/300 s/) });
  });

  it('leaves texts that are not the library own alone', () => {
    expect(libraryReply(250, 'Message accepté / Message accepted: queued as 12', {})).toBeUndefined();
  });
});
