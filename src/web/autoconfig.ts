/**
 * Setting up a mail client in one step: a professional types an address and a password, the
 * client fetches its settings here.
 * - Thunderbird (Mozilla's autoconfig format, clientConfig 1.1) at the URLs it tries on its own,
 *   `/mail/config-v1.1.xml` (as autoconfig.DOMAIN) and
 *   `/.well-known/autoconfig/mail/config-v1.1.xml` (as DOMAIN), and ISPDB-style at
 *   `/autoconfig/v1.1/DOMAIN` for a Thunderbird whose `mailnews.auto_config_url` points here;
 * - Apple Mail: a configuration profile at `/apple/mail.mobileconfig?address=…`.
 * Only local professional domains get settings. The answer depends on the domain alone, never on
 * whether a mailbox exists, so it cannot be used to probe the address book.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import { isDomainName, normaliseDomain, parseAddress } from '../domain/address.js';
import { mayLogIn } from '../domain/mailbox.js';
import type { DomainStore } from '../store/types.js';
import { accountServers, type AccountServers, type SetupDoor } from './account-servers.js';
import { appleMailProfile } from './mobileconfig.js';

export interface ClientSetupDeps {
  config: Pick<Config, 'hostname' | 'ports' | 'domains'>;
  domains: Pick<DomainStore, 'isLocal'>;
  /** the ports the doors listen on, read at each request (they are known once bound) */
  ports(): Partial<Record<string, number>>;
  /** the CA bundle the servers' certificates chain to, put in the Apple profile */
  caPem?: string | Buffer;
}

const THUNDERBIRD_PATHS = new Set(['/mail/config-v1.1.xml', '/.well-known/autoconfig/mail/config-v1.1.xml']);
const ISPDB_PREFIX = '/autoconfig/v1.1/';
const APPLE_PATH = '/apple/mail.mobileconfig';

/** the paths this module answers (the HTTP door routes them here) and the ISPDB prefix */
export const CLIENT_SETUP_PATHS = [...THUNDERBIRD_PATHS, APPLE_PATH];
export const CLIENT_SETUP_PREFIX = ISPDB_PREFIX;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The autoconfig document. User names are Mozilla's %EMAILADDRESS% placeholder, which the
 * client fills in: the document is the same for every address of the domain.
 */
export function thunderbirdConfig(domain: string, servers: AccountServers): string {
  const host = escapeXml(servers.hostname);
  const server = (tag: string, type: string, s: { port: number; socketType: string }, extra: string[] = []) =>
    [
      `    <${tag} type="${type}">`,
      `      <hostname>${host}</hostname>`,
      `      <port>${s.port}</port>`,
      `      <socketType>${s.socketType}</socketType>`,
      '      <username>%EMAILADDRESS%</username>',
      '      <authentication>password-cleartext</authentication>',
      ...extra,
      `    </${tag}>`,
    ].join('\n');
  const d = escapeXml(domain);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${d}">`,
    `    <domain>${d}</domain>`,
    `    <displayName>Messagerie sécurisée de santé (${d})</displayName>`,
    '    <displayShortName>MSSanté</displayShortName>',
    ...servers.imap.map((s) => server('incomingServer', 'imap', s)),
    ...servers.smtp.map((s) =>
      server('outgoingServer', 'smtp', s, ['      <addThisServer>true</addThisServer>', '      <useGlobalPreferredServer>false</useGlobalPreferredServer>']),
    ),
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n');
}

function refuse(res: ServerResponse, status: number, code: string, fr: string, en: string, extra: Record<string, string> = {}): void {
  const text = JSON.stringify({ error: { code, message: `${fr} / ${en}` } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(text);
}

function send(res: ServerResponse, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(body);
}

/** The domain Thunderbird asks about: from ?emailaddress=, else from the host it called. */
function askedDomain(url: URL, req: IncomingMessage): string | undefined | 'invalid' {
  const given = url.searchParams.get('emailaddress');
  if (given !== null) {
    const parsed = parseAddress(given);
    return parsed.ok ? parsed.value.domain : 'invalid';
  }
  // Thunderbird may withhold the address (mailnews.auto_config.fetchFromISP.sendEmailAddress);
  // then the host it called says the domain: autoconfig.DOMAIN or DOMAIN.
  const host = normaliseDomain((req.headers.host ?? '').replace(/:\d+$/, '')).replace(/^autoconfig\./, '');
  return isDomainName(host) ? host : undefined;
}

function invalidAddress(res: ServerResponse): true {
  refuse(res, 400, 'INVALID_ADDRESS', "Ce n'est pas une adresse de messagerie (attendu nom@domaine)", 'not a mail address (expected name@domain)');
  return true;
}

/** DOMAIN of /autoconfig/v1.1/DOMAIN; undefined when not even decodable. */
function ispdbDomain(pathname: string): string | undefined {
  try {
    return normaliseDomain(decodeURIComponent(pathname.slice(ISPDB_PREFIX.length)));
  } catch {
    return undefined;
  }
}

export function clientSetupRoute(deps: ClientSetupDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const citizenDomain = deps.config.domains.citizen;
  const caPem = deps.caPem === undefined ? undefined : String(deps.caPem);

  /** Settings for this domain, or the refusal already sent. */
  async function serversFor(domain: string | undefined, res: ServerResponse): Promise<AccountServers | undefined> {
    if (domain === citizenDomain && !mayLogIn({ kind: 'CITIZEN', state: 'open' }, 'imap')) {
      refuse(
        res,
        404,
        'CITIZEN_WEBMAIL_ONLY',
        "Pas de configuration de logiciel de messagerie pour les usagers : leur messagerie se consulte dans le webmail, sans accès IMAP ni SMTP",
        'no mail client settings for citizens: their mail is read in the webmail, they have no IMAP or SMTP login',
      );
      return undefined;
    }
    if (!domain || !(await deps.domains.isLocal(domain))) {
      refuse(
        res,
        404,
        'DOMAIN_NOT_HOSTED',
        "Ce domaine n'est pas un domaine de professionnels hébergé ici : aucune configuration à fournir",
        'this domain is not a professional domain hosted here: there are no settings to give',
      );
      return undefined;
    }
    const configured: Record<SetupDoor, number> = deps.config.ports;
    const live = deps.ports();
    const servers = accountServers(deps.config.hostname, configured, { imap: live.imap, imaps: live.imaps, submission: live.submission });
    if (servers.imap.length === 0 || servers.smtp.length === 0) {
      refuse(res, 503, 'SETUP_UNAVAILABLE', 'Les ports IMAP et SMTP ne sont pas encore connus', 'the IMAP and SMTP ports are not known yet', { 'retry-after': '5' });
      return undefined;
    }
    return servers;
  }

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const thunderbird = THUNDERBIRD_PATHS.has(url.pathname);
    const ispdb = url.pathname.startsWith(ISPDB_PREFIX);
    const apple = url.pathname === APPLE_PATH;
    if (!thunderbird && !ispdb && !apple) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      refuse(res, 405, 'METHOD_NOT_ALLOWED', 'Méthode non permise : GET seulement', 'method not allowed: GET only', { allow: 'GET, HEAD' });
      return true;
    }

    if (apple) {
      const given = url.searchParams.get('address') ?? url.searchParams.get('emailaddress');
      if (given === null) {
        refuse(res, 400, 'ADDRESS_REQUIRED', "Indiquez l'adresse : ?address=nom@domaine", 'give the address: ?address=name@domain');
        return true;
      }
      const parsed = parseAddress(given);
      if (!parsed.ok) return invalidAddress(res);
      const servers = await serversFor(parsed.value.domain, res);
      if (!servers) return true;
      const { address, domain } = parsed.value;
      const profile = appleMailProfile({ address, domain, servers, ...(caPem ? { caPem } : {}) });
      send(res, 'application/x-apple-aspen-config; charset=utf-8', profile, {
        'content-disposition': `attachment; filename="${domain}.mobileconfig"`,
      });
      return true;
    }

    const asked = ispdb ? ispdbDomain(url.pathname) : askedDomain(url, req);
    if (asked === 'invalid') return invalidAddress(res);
    const domain = asked && isDomainName(asked) ? asked : undefined;
    const servers = await serversFor(domain, res);
    if (servers) send(res, 'application/xml; charset=utf-8', thunderbirdConfig(domain!, servers));
    return true;
  };
}
