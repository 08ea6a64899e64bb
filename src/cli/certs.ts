import path from 'node:path';
import { stringOption, type Command } from './command.js';
import { ValidationError } from '../errors.js';

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
    usage: 'certs issue <NAME> [--client] [--out DIR]',
    summary: "signs a certificate for NAME: a professional's client certificate, or another operator's server",
    options: { client: { type: 'boolean', default: false }, out: { type: 'string' } },
    args: [1, 1],
    async run(inv) {
      const name = inv.positionals[0]!;
      if (!/^[a-zA-Z0-9._@-]{1,253}$/.test(name)) {
        throw new ValidationError(`"${name}" is not a usable certificate name (letters, digits, . _ @ -)`);
      }
      const certDir = inv.config().tls.certDir;
      const { issueCertificate } = await import('../tls/certificates.js');
      const out = stringOption(inv, 'out');
      const files = issueCertificate(certDir, name, inv.values.client === true, out ? path.resolve(out) : certDir);
      inv.json ? inv.printJson(files) : inv.print(`${files.cert}\n${files.key}`);
    },
  },
];
