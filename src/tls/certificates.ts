/**
 * Development certificates (node-forge): a CA standing in for IGC-Santé, the gateway's server
 * certificate, and certificates it signs for professionals (client) or other operators (server).
 * Private keys are written with mode 0600; nothing here is meant for production keys.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import forge from 'node-forge';

export const CA_CERT = 'ca.crt';
export const CA_KEY = 'ca.key';
export const SERVER_CERT = 'server.crt';
export const SERVER_KEY = 'server.key';

export interface CertificateFiles {
  cert: string;
  key: string;
}

interface Issued {
  certPem: string;
  keyPem: string;
}

function serialNumber(): string {
  // Positive, 16 bytes: the top bit cleared so DER does not read it as negative.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, years: number): void {
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600 * 1000);
}

function newKeys(): forge.pki.rsa.KeyPair {
  // forge hands this to Node's native generateKeyPairSync when it can: well under a second.
  return forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
}

function createCa(commonName: string, organization = 'mss-gateway development'): Issued {
  const keys = newKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, 10);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: organization },
    { name: 'countryName', value: 'FR' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

export interface IssueOptions {
  commonName: string;
  /** client: a professional's or an operator's client certificate; server: a TLS server */
  usage: 'client' | 'server' | 'both';
  altNames?: string[];
  years?: number;
}

function issue(ca: Issued, options: IssueOptions): Issued {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options.years ?? 2);
  cert.setSubject([
    { name: 'commonName', value: options.commonName },
    { name: 'organizationName', value: 'mss-gateway development' },
    { name: 'countryName', value: 'FR' },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const names = [...new Set([options.commonName, ...(options.altNames ?? [])])];
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: 'extKeyUsage',
      serverAuth: options.usage !== 'client',
      clientAuth: options.usage !== 'server',
    },
    {
      name: 'subjectAltName',
      altNames: names.map((name) =>
        isIP(name) ? { type: 7, ip: name } : name.includes('@') ? { type: 1, value: name } : { type: 2, value: name },
      ),
    },
    { name: 'subjectKeyIdentifier' },
    // Names the signing key, so a verifier holding several CAs picks the right one.
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  cert.setExtensions(extensions);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

function writePair(dir: string, base: string, pair: Issued): CertificateFiles {
  mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, `${base}.crt`);
  const key = path.join(dir, `${base}.key`);
  writeFileSync(key, pair.keyPem, { mode: 0o600 });
  chmodSync(key, 0o600); // the mode above is ignored when the file already existed
  writeFileSync(cert, pair.certPem, { mode: 0o644 });
  return { cert, key };
}

function readCa(certDir: string): Issued {
  const certFile = path.join(certDir, CA_CERT);
  const keyFile = path.join(certDir, CA_KEY);
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    throw new Error(`no development CA in ${certDir}: run 'mssgw certs init' first`);
  }
  return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

/** Writes a new CA (ca.crt, ca.key) into certDir, replacing any: e.g. another operator's, in tests. */
export function writeCa(certDir: string, commonName: string, organization?: string): string {
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  return writePair(certDir, 'ca', createCa(commonName, organization)).cert;
}

export interface InitResult {
  created: boolean;
  ca: string;
  server: CertificateFiles;
}

/**
 * Creates the development CA and the server certificate unless both exist. The server
 * certificate also serves as the gateway's client certificate towards other operators.
 */
export function initCertificates(certDir: string, hostname: string, host: string): InitResult {
  const server = { cert: path.join(certDir, SERVER_CERT), key: path.join(certDir, SERVER_KEY) };
  const caFile = path.join(certDir, CA_CERT);
  if (existsSync(caFile) && existsSync(server.cert) && existsSync(server.key)) {
    return { created: false, ca: caFile, server };
  }
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  // A short random suffix: two installations' development CAs never share a name.
  const ca = existsSync(caFile) ? readCa(certDir) : createCa(`mss-gateway development CA ${randomBytes(3).toString('hex')}`);
  if (!existsSync(caFile)) writePair(certDir, 'ca', ca);
  const altNames = ['localhost', '127.0.0.1', '::1', hostname, ...(host === '0.0.0.0' || host === '::' ? [] : [host])];
  writePair(certDir, 'server', issue(ca, { commonName: hostname, usage: 'both', altNames }));
  return { created: true, ca: caFile, server };
}

/** Signs a certificate for NAME with the development CA, into outDir (default: the cert folder). */
export function issueCertificate(certDir: string, name: string, client: boolean, outDir = certDir): CertificateFiles {
  const ca = readCa(certDir);
  const base = name.replace(/[^a-zA-Z0-9._@-]/g, '_');
  const pair = issue(ca, { commonName: name, usage: client ? 'client' : 'both', altNames: client ? [] : [name] });
  return writePair(outDir, base, pair);
}

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}

/** What every listening door offers under TLS: our certificate, the trusted CA, the policy (tls.*). */
export function serverTlsOptions(material: TlsMaterial, policy: { minVersion: 'TLSv1.2' | 'TLSv1.3'; ciphers: string }) {
  return {
    key: material.key,
    cert: material.cert,
    ca: material.ca,
    minVersion: policy.minVersion,
    ciphers: policy.ciphers,
    honorCipherOrder: true,
  };
}

export function readTlsMaterial(certDir: string): TlsMaterial {
  return {
    key: readFileSync(path.join(certDir, SERVER_KEY)),
    cert: readFileSync(path.join(certDir, SERVER_CERT)),
    ca: readFileSync(path.join(certDir, CA_CERT)),
  };
}

/**
 * How the private key inside a .p12 is sealed. 3DES (pbeWithSHAAnd3-KeyTripleDES-CBC) is the
 * default because every importer reads it: Apple's Keychain and iOS (which refuse PBES2/AES
 * before macOS 11 and any MAC but HMAC-SHA1), Windows/Outlook, Thunderbird (NSS), Java.
 * aes256 is PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for importers that take it. RC2-40, the old
 * OpenSSL default, is never used. Certificates sit unencrypted beside the key, as they are public.
 */
export const P12_CIPHERS = ['3des', 'aes256'] as const;
export type P12Cipher = (typeof P12_CIPHERS)[number];

/** PBE iterations, key and MAC: forge encodes the MAC count in 16 bits, so it stays under 65536. */
const P12_ITERATIONS = 10_000;

export interface Pkcs12Options {
  password: string;
  cipher?: P12Cipher;
  /** the name the importer shows (Keychain, Thunderbird's "Your Certificates") */
  friendlyName: string;
}

/**
 * Only printable ASCII: the PKCS#12 MAC reads the password as UTF-16 and PBES2 as bytes, and
 * importers disagree on non-ASCII, so a password typed on one machine might not open elsewhere.
 */
export function checkP12Password(password: string): string | undefined {
  if (password.length === 0) return 'the .p12 password must not be empty (Apple Mail and iOS refuse an empty one)';
  if (!/^[\x20-\x7e]+$/.test(password)) return 'the .p12 password must be printable ASCII (importers disagree on other characters)';
  return undefined;
}

/** A password for a .p12 that is typed once at import: 24 characters, 144 bits. */
export function generateP12Password(): string {
  return randomBytes(18).toString('base64url');
}

/** PKCS#12 (DER) of a key, its certificate and the chain above it (the CA), sealed with a password. */
export function toPkcs12(keyPem: string, chainPem: string[], options: Pkcs12Options): Buffer {
  const problem = checkP12Password(options.password);
  if (problem) throw new Error(problem);
  const key = forge.pki.privateKeyFromPem(keyPem);
  const chain = chainPem.map((pem) => forge.pki.certificateFromPem(pem));
  const cipher = options.cipher ?? '3des';
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, chain, options.password, {
    algorithm: cipher,
    count: P12_ITERATIONS,
    saltSize: 16,
    friendlyName: options.friendlyName,
    // consulted by the PBES2 path only (aes256); the 3DES path uses the PKCS#12 KDF on SHA-1
    ...(cipher === 'aes256' ? { prfAlgorithm: 'sha256' } : {}),
  } as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/**
 * Writes NAME.p12 beside NAME.crt and NAME.key: the key, the certificate and the CA that
 * signed it, so the importer sees the whole chain. Mode 0600, as for the key.
 */
export function writePkcs12(certDir: string, files: CertificateFiles, options: Pkcs12Options): string {
  const ca = readCa(certDir);
  const der = toPkcs12(readFileSync(files.key, 'utf8'), [readFileSync(files.cert, 'utf8'), ca.certPem], options);
  const file = files.cert.replace(/\.crt$/, '') + '.p12';
  writeFileSync(file, der, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
