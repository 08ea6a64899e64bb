/**
 * PKCS#12 export of issued certificates: the .p12 opens with its password in node-forge and in
 * OpenSSL (an independent reader), holds the key of the certificate and the chain up to the CA,
 * uses only ciphers that Apple Mail, Outlook and Thunderbird import, and refuses a wrong password.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkP12Password,
  generateP12Password,
  issueCertificate,
  writePkcs12,
  type CertificateFiles,
} from '../../../src/tls/certificates.js';
import { copyTestCertificates } from '../../helpers/certs.js';

const NAME = 'dr.martin@hopital.mssante.fr';
const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

/** Key and certificates of a .p12 as node-forge reads it (throws on a wrong password). */
function openWithForge(file: string, password: string) {
  const der = readFileSync(file).toString('binary');
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), true, password);
  const keys = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? [];
  const certs = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  return { keys, certs };
}

function openssl(args: string[], password: string) {
  return spawnSync('openssl', [...args, '-passin', `pass:${password}`], { encoding: 'utf8' });
}

describe('PKCS#12 export', () => {
  let certDir: string;
  let out: string;
  let files: CertificateFiles;

  beforeAll(() => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mssgw-p12-'));
    certDir = path.join(dir, 'certs');
    out = path.join(dir, 'out');
    copyTestCertificates(certDir);
    files = issueCertificate(certDir, NAME, true, out);
  });

  for (const cipher of ['3des', 'aes256'] as const) {
    it(`writes a .p12 sealed with ${cipher} beside the .crt/.key that forge opens, holding the certificate's own key and the CA`, () => {
      const password = 'correct horse battery';
      const file = writePkcs12(certDir, files, { password, cipher, friendlyName: NAME });
      expect(file).toBe(path.join(out, `${NAME}.p12`));
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const { keys, certs } = openWithForge(file, password);
      expect(keys).toHaveLength(1);
      expect(certs).toHaveLength(2);
      const [leaf, ca] = certs.map((bag) => bag.cert!);
      expect(leaf!.subject.getField('CN').value).toBe(NAME);
      expect(ca!.subject.getField('CN').value).toBe(forge.pki.certificateFromPem(readFileSync(path.join(certDir, 'ca.crt'), 'utf8')).subject.getField('CN').value);
      expect(ca!.verify(leaf!)).toBe(true);
      // The key in the .p12 is the key of the certificate.
      const key = keys[0]!.key as forge.pki.rsa.PrivateKey;
      expect(key.n.equals((leaf!.publicKey as forge.pki.rsa.PublicKey).n)).toBe(true);
      expect(forge.pki.privateKeyToPem(key)).toBe(forge.pki.privateKeyToPem(forge.pki.privateKeyFromPem(readFileSync(files.key, 'utf8'))));
      expect(keys[0]!.attributes.friendlyName).toEqual([NAME]);
    });
  }

  it('refuses a wrong password (the MAC does not verify)', () => {
    const file = writePkcs12(certDir, files, { password: 'the right one', friendlyName: NAME });
    expect(() => openWithForge(file, 'the wrong one')).toThrow(/MAC/i);
  });

  it.skipIf(!hasOpenssl)('is read by OpenSSL with a 3DES key bag and an HMAC-SHA1 MAC by default, never RC2', () => {
    const password = generateP12Password();
    const file = writePkcs12(certDir, files, { password, friendlyName: NAME });
    const info = openssl(['pkcs12', '-info', '-nokeys', '-in', file], password);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr + info.stdout).toMatch(/pbeWithSHA1And3-KeyTripleDES-CBC/);
    expect(info.stderr + info.stdout).toMatch(/MAC: sha1/);
    expect(info.stderr + info.stdout).not.toMatch(/RC2/);
    expect(info.stdout).toContain(`subject=CN = ${NAME}`);
    // The key OpenSSL extracts matches the certificate OpenSSL extracts.
    const keyPem = openssl(['pkcs12', '-in', file, '-nocerts', '-nodes'], password);
    const certPem = openssl(['pkcs12', '-in', file, '-clcerts', '-nokeys'], password);
    expect(keyPem.status).toBe(0);
    const cert = new X509Certificate(certPem.stdout);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem.stdout))).toBe(true);
    expect(createPublicKey(keyPem.stdout).export({ format: 'der', type: 'spki' })).toEqual(cert.publicKey.export({ format: 'der', type: 'spki' }));
    // A wrong password: OpenSSL refuses too.
    expect(openssl(['pkcs12', '-info', '-nokeys', '-in', file], 'not it').status).not.toBe(0);
  });

  it.skipIf(!hasOpenssl)('writes AES-256 (PBES2, PBKDF2-HMAC-SHA256) on request, which OpenSSL 3 opens without its legacy provider', () => {
    const password = 'another passphrase';
    const file = writePkcs12(certDir, files, { password, cipher: 'aes256', friendlyName: NAME });
    const info = openssl(['pkcs12', '-info', '-nokeys', '-in', file], password);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr + info.stdout).toMatch(/PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
  });

  it('accepts only non-empty printable-ASCII passwords, and generates long ones', () => {
    expect(checkP12Password('')).toMatch(/empty/);
    expect(checkP12Password('mot de passe é')).toMatch(/ASCII/);
    expect(checkP12Password('pass\nword')).toMatch(/ASCII/);
    expect(checkP12Password('a fine one')).toBeUndefined();
    const generated = generateP12Password();
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generateP12Password()).not.toBe(generated);
    expect(() => writePkcs12(certDir, files, { password: '', friendlyName: NAME })).toThrow(/empty/);
  });
});
