import path from 'node:path';
import { stringOption, UsageError, type Command, type Invocation } from './command.js';
import { ValidationError } from '../errors.js';
import type { P12Cipher } from '../tls/certificates.js';

export const certCommands: Command[] = [
  {
    name: 'certs init',
    usage: 'certs init',
    summary: 'creates the development CA and the server certificate in the certificate folder',
    args: [0, 0],
    async run(inv) {
      const config = inv.config();
      const { initCertificates } = await import('../tls/certificates.js'); // node-forge is heavy: load it only here
      const result = initCertificates(config.tls.certDir, config.hostname, config.host);
      if (inv.json) inv.printJson(result);
      else if (result.created) inv.print(`CA ${result.ca}\nserver ${result.server.cert}`);
      else inv.note(`certificates already present in ${config.tls.certDir}`);
    },
  },
  {
    name: 'certs issue',
    usage: 'certs issue <NAME> [--client] [--out DIR] [--p12 [--password PW] [--p12-cipher 3des|aes256]]',
    summary:
      "signs a certificate for NAME: a professional's client certificate, or another operator's server; --p12 also writes NAME.p12 for mail clients",
    options: {
      client: { type: 'boolean', default: false },
      out: { type: 'string' },
      p12: { type: 'boolean', default: false },
      password: { type: 'string' },
      'p12-cipher': { type: 'string' },
    },
    args: [1, 1],
    async run(inv) {
      const name = inv.positionals[0]!;
      if (!/^[a-zA-Z0-9._@-]{1,253}$/.test(name)) {
        throw new ValidationError(`"${name}" is not a usable certificate name (letters, digits, . _ @ -)`);
      }
      const certDir = inv.config().tls.certDir;
      const tls = await import('../tls/certificates.js');
      // The .p12 settings are checked before anything is signed: a refusal leaves no files behind.
      const p12 = inv.values.p12 === true ? p12Settings(inv, tls) : undefined;
      if (!p12 && (inv.values.password !== undefined || inv.values['p12-cipher'] !== undefined)) {
        throw new UsageError('--password and --p12-cipher apply to the .p12: add --p12');
      }
      const out = stringOption(inv, 'out');
      const files = tls.issueCertificate(certDir, name, inv.values.client === true, out ? path.resolve(out) : certDir);
      if (!p12) return void (inv.json ? inv.printJson(files) : inv.print(`${files.cert}\n${files.key}`));
      const file = tls.writePkcs12(certDir, files, { password: p12.password, cipher: p12.cipher, friendlyName: name });
      // A generated password is shown once, here; a given one is not echoed back.
      const shown = p12.generated ? { password: p12.password } : {};
      if (inv.json) inv.printJson({ ...files, p12: file, cipher: p12.cipher, ...shown });
      else inv.print(`${files.cert}\n${files.key}\n${file}${p12.generated ? `\np12 password: ${p12.password}` : ''}`);
    },
  },
];

/** The password and cipher of a .p12: given ones checked, a password generated when none is. */
function p12Settings(inv: Invocation, tls: typeof import('../tls/certificates.js')): { password: string; generated: boolean; cipher: P12Cipher } {
  const cipher = stringOption(inv, 'p12-cipher') ?? '3des';
  if (!tls.P12_CIPHERS.includes(cipher as P12Cipher)) {
    throw new UsageError(`--p12-cipher: "${cipher}" is not one of ${tls.P12_CIPHERS.join(', ')}`);
  }
  const given = stringOption(inv, 'password');
  if (given === undefined) return { password: tls.generateP12Password(), generated: true, cipher: cipher as P12Cipher };
  const problem = tls.checkP12Password(given);
  if (problem) throw new ValidationError(`--password: ${problem}`);
  return { password: given, generated: false, cipher: cipher as P12Cipher };
}
