/**
 * Apple configuration profiles (.mobileconfig) for Apple Mail on macOS, iPhone and iPad: one
 * com.apple.mail.managed payload (IMAP + SMTP submission, the full address as user name, no
 * password: the device asks for it) and the CA the servers' certificates chain to.
 * The profile is not signed: the device shows it as unverified, acceptable for development; an
 * operator in production signs it (CMS) with a certificate the devices trust.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { AccountServers } from './account-servers.js';

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type PlistValue = string | number | boolean | Buffer | PlistValue[] | { [key: string]: PlistValue };

function plist(value: PlistValue, indent: string): string {
  const inner = `${indent}  `;
  if (typeof value === 'string') return `${indent}<string>${escapeXml(value)}</string>`;
  if (typeof value === 'number') return `${indent}<integer>${Math.trunc(value)}</integer>`;
  if (typeof value === 'boolean') return `${indent}<${value}/>`;
  if (Buffer.isBuffer(value)) return `${indent}<data>${value.toString('base64')}</data>`;
  if (Array.isArray(value)) return [`${indent}<array>`, ...value.map((v) => plist(v, inner)), `${indent}</array>`].join('\n');
  const entries = Object.entries(value).flatMap(([k, v]) => [`${inner}<key>${escapeXml(k)}</key>`, plist(v, inner)]);
  return [`${indent}<dict>`, ...entries, `${indent}</dict>`].join('\n');
}

/**
 * A stable UUID for a payload (RFC 4122 layout, name-based): installing the profile of the
 * same address twice replaces the first instead of adding a second account.
 */
function stableUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The certificates of a PEM bundle: the development CA, or IGC-Santé's roots and intermediates. */
function certificatePayloads(caPem: string, idPrefix: string): Array<Record<string, PlistValue>> {
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block, i) => {
    const cert = new X509Certificate(block);
    const name = /^CN=(.*)$/m.exec(cert.subject)?.[1] ?? `CA ${i + 1}`;
    // A self-signed certificate is an anchor (root); any other is an intermediate.
    const root = cert.checkIssued(cert) && cert.verify(cert.publicKey);
    return {
      PayloadCertificateFileName: i === 0 ? 'ca.crt' : `ca-${i + 1}.crt`,
      PayloadContent: cert.raw,
      PayloadDescription: 'Autorité de certification des serveurs de messagerie / certificate authority of the mail servers',
      PayloadDisplayName: name,
      PayloadIdentifier: `${idPrefix}.ca.${cert.fingerprint256.replace(/:/g, '').slice(0, 16).toLowerCase()}`,
      PayloadType: root ? 'com.apple.security.root' : 'com.apple.security.pkcs1',
      PayloadUUID: stableUuid('ca', cert.fingerprint256),
      PayloadVersion: 1,
    };
  });
}

export interface ProfileRequest {
  address: string;
  domain: string;
  /** at least one IMAP and one SMTP entry; the first of each is used */
  servers: AccountServers;
  /** PEM of the CA(s) to install with the account, when the devices do not already trust them */
  caPem?: string;
}

/** The .mobileconfig (XML property list) for one professional address. */
export function appleMailProfile(request: ProfileRequest): string {
  const { address, domain, servers } = request;
  const incoming = servers.imap[0]!;
  const outgoing = servers.smtp[0]!;
  const host = servers.hostname.toLowerCase();
  // Reverse-DNS identifiers, as Apple asks; the address goes in hashed (no '@' in identifiers).
  const idPrefix = `${host.split('.').reverse().join('.')}.mssgw`;
  const addressId = createHash('sha256').update(address).digest('hex').slice(0, 16);
  const mail: Record<string, PlistValue> = {
    EmailAccountDescription: `MSSanté ${domain}`,
    EmailAccountType: 'EmailTypeIMAP',
    EmailAddress: address,
    IncomingMailServerAuthentication: 'EmailAuthPassword',
    IncomingMailServerHostName: servers.hostname,
    IncomingMailServerPortNumber: incoming.port,
    // true for implicit TLS and for STARTTLS alike: Apple Mail upgrades a plain port (2587, 2143).
    IncomingMailServerUseSSL: true,
    IncomingMailServerUsername: address,
    OutgoingMailServerAuthentication: 'EmailAuthPassword',
    OutgoingMailServerHostName: servers.hostname,
    OutgoingMailServerPortNumber: outgoing.port,
    OutgoingMailServerUseSSL: true,
    OutgoingMailServerUsername: address,
    OutgoingPasswordSameAsIncomingPassword: true,
    PayloadDisplayName: `Messagerie MSSanté (${address})`,
    PayloadIdentifier: `${idPrefix}.mail.${addressId}.account`,
    PayloadType: 'com.apple.mail.managed',
    PayloadUUID: stableUuid('mail', host, address),
    PayloadVersion: 1,
  };
  const profile: Record<string, PlistValue> = {
    PayloadContent: [mail, ...(request.caPem ? certificatePayloads(request.caPem, idPrefix) : [])],
    PayloadDescription:
      `Compte de messagerie sécurisée de santé ${address} (IMAP et SMTP) ; profil non signé (développement) / ` +
      `health messaging account ${address} (IMAP and SMTP); unsigned profile (development)`,
    PayloadDisplayName: `Messagerie MSSanté — ${address}`,
    PayloadIdentifier: `${idPrefix}.mail.${addressId}`,
    PayloadOrganization: domain,
    PayloadRemovalDisallowed: false,
    PayloadType: 'Configuration',
    PayloadUUID: stableUuid('profile', host, address),
    PayloadVersion: 1,
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    plist(profile, ''),
    '</plist>',
    '',
  ].join('\n');
}
