/**
 * Configuration: one typed schema with defaults. Sources, later ones winning: the schema's
 * defaults (the same values as config/default.json), the JSON file named by --config or
 * MSS_CONFIG, the MSS_* environment variables, then command-line flags such as --data.
 * A wrong value stops start-up with the key and the problem named.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const domainName = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a domain name');
const hostName = z.string().regex(/^[a-z0-9.-]+$/i, 'must be a host name or an IP address');
const ipOrPrefix = z.string().refine((text) => {
  const [address = '', bits, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}, 'must be an IP address or a CIDR prefix (192.0.2.0/24, 2001:db8::/48)');

const schema = z.strictObject({
  host: hostName.default('127.0.0.1'),
  hostname: hostName.default('localhost'),
  dataDir: z.string().min(1).default('./data'),
  ports: z
    .strictObject({
      smtp: port.default(2525),
      submission: port.default(2587),
      imap: port.default(2143),
      imaps: port.default(2993),
      http: port.default(8080),
    })
    .prefault({}),
  domains: z
    .strictObject({
      citizen: domainName.default('patient.mssante.fr'),
      local: z.array(domainName).default([]),
      trusted: z.array(domainName).default([]),
    })
    .prefault({}),
  tls: z
    .strictObject({
      certDir: z.string().min(1).default('./certs'),
      minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      ciphers: z
        .string()
        .default(
          'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256',
        ),
    })
    .prefault({}),
  trust: z
    .strictObject({
      requireClientCert: z.boolean().default(true),
      acceptTestInsOids: z.boolean().default(false),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxMessageBytes: positiveInt.default(20 * 1024 * 1024),
      maxAttachmentBytes: positiveInt.default(10 * 1024 * 1024),
      maxRecipients: positiveInt.default(100),
      /** bytes of one header block (the message's own, or a MIME part's) */
      maxHeaderBytes: positiveInt.default(1024 * 1024),
      /** bytes of one line of the message's header */
      maxHeaderLineBytes: positiveInt.default(64 * 1024),
      /** fields in one header block */
      maxHeaderFields: positiveInt.default(1000),
      /** multiparts and messages nested inside each other */
      maxMimeDepth: positiveInt.default(32),
      /** MIME parts in one message, nested messages included */
      maxMimeParts: positiveInt.default(1000),
    })
    .prefault({}),
  smtp: z
    .strictObject({
      /** open connections per door, all clients together */
      maxConnections: positiveInt.default(200),
      /** open connections per door from one client address */
      maxConnectionsPerClient: positiveInt.default(20),
      /** silence from the client before the session is closed */
      idleTimeoutSeconds: positiveInt.default(120),
      /** time for a whole command line, from its first byte */
      commandTimeoutSeconds: positiveInt.default(60),
      /** time for a whole DATA phase, from the 354 to the final dot */
      dataTimeoutSeconds: positiveInt.default(300),
    })
    .prefault({}),
  imap: z
    .strictObject({
      /** open connections on both IMAP ports, all clients together */
      maxConnections: positiveInt.default(5000),
      /** open connections on both IMAP ports from one client address */
      maxConnectionsPerClient: positiveInt.default(100),
      /** logged-in sessions of one mailbox at once */
      maxConnectionsPerMailbox: positiveInt.default(50),
      /** bytes of one command line (between literals) */
      maxLineBytes: positiveInt.default(64 * 1024),
      /** bytes of one literal, APPEND's message excepted (limited by limits.maxMessageBytes) */
      maxLiteralBytes: positiveInt.default(64 * 1024),
      /** literals in one command */
      maxLiteralsPerCommand: positiveInt.default(16),
      /** time to log in after connecting */
      loginTimeoutSeconds: positiveInt.default(60),
      /** silence from a logged-in client before the session is closed (RFC 3501: at least 30 min) */
      autologoutSeconds: positiveInt.default(1800),
      /** one IDLE at most this long (clients re-IDLE every 29 min, RFC 2177) */
      idleTimeoutSeconds: positiveInt.default(1800),
      /**
       * a client that takes no byte of its answers for this long while some wait (it stopped
       * reading) is cut off: it would otherwise hold its command, and the memory, for ever
       */
      writeStallSeconds: positiveInt.default(300),
      /**
       * processes serving IMAP: 1 is the gateway's own; more are that many worker processes
       * sharing both IMAP ports over the same data folder (src/imap/workers.ts)
       */
      workers: z.number().int().min(1).max(64).default(1),
      /**
       * client addresses (or prefixes) that may log in without TLS, as Dovecot's
       * login_trusted_networks: a TLS-terminating proxy on this host, or a benchmark run like
       * for like against a clear-text peer. Empty by default; anything here is logged as OPT-OUT.
       */
      clearTextLoginFrom: z.array(ipOrPrefix).default([]),
    })
    .prefault({}),
  auth: z
    .strictObject({
      maxFailures: positiveInt.default(5),
      clientMaxFailures: positiveInt.default(20),
      blockSeconds: positiveInt.default(60),
      maxBlockSeconds: positiveInt.default(3600),
      failureWindowSeconds: positiveInt.default(900),
      concurrentPerClient: positiveInt.default(4),
      exemptClients: z.array(ipOrPrefix).default([]),
    })
    .prefault({}),
  retention: z
    .strictObject({
      professionalDays: positiveInt.default(90),
      citizenDays: positiveInt.default(90),
      traceDays: positiveInt.default(183),
      inactiveMailboxDays: positiveInt.default(365),
    })
    .prefault({}),
  relay: z
    .strictObject({
      expireHours: positiveInt.default(120),
      firstRetrySeconds: positiveInt.default(60),
      maxRetrySeconds: positiveInt.default(3600),
      peerPort: port.default(2525),
      /** fixed routes "domain": "host:port", used before any MX lookup (tests, private links) */
      routes: z.record(domainName, z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, 'must be host or host:port')).default({}),
    })
    .prefault({}),
  notify: z
    .strictObject({
      enabled: z.boolean().default(false),
      host: hostName.default('127.0.0.1'),
      port: port.default(25),
      secure: z.boolean().default(false),
      user: z.string().optional(),
      password: z.string().optional(),
      from: z.string().default('Messagerie santé <ne-pas-repondre@localhost>'),
      webmailUrl: z.string().default('http://localhost:8080/'),
    })
    .prefault({}),
  web: z
    .strictObject({
      /** a session ends after this long without a call */
      sessionIdleMinutes: positiveInt.default(30),
      /** and at most this long after logging in */
      sessionHours: positiveInt.default(12),
      /**
       * proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or CIDR prefixes):
       * behind a TLS-terminating proxy, the session cookie is Secure and passwords are accepted
       */
      trustProxy: z.array(ipOrPrefix).default([]),
      /** API calls per minute from one client address (the login throttle comes on top) */
      rateLimitPerMinute: positiveInt.default(600),
      /** login attempts per minute from one client address, before the throttle's counters */
      loginRatePerMinute: positiveInt.default(30),
      /** bytes of one JSON request body */
      maxBodyBytes: positiveInt.default(256 * 1024),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Comment keys ("//") let config/default.json document itself; they carry no setting. */
function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '//')
        .map(([key, inner]) => [key, stripComments(inner)]),
    );
  }
  return value;
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

const ENV_KEYS: Array<[string, string[], 'string' | 'port']> = [
  ['MSS_HOST', ['host'], 'string'],
  ['MSS_HOSTNAME', ['hostname'], 'string'],
  ['MSS_DATA_DIR', ['dataDir'], 'string'],
  ['MSS_CERT_DIR', ['tls', 'certDir'], 'string'],
  ['MSS_SMTP_PORT', ['ports', 'smtp'], 'port'],
  ['MSS_SUBMISSION_PORT', ['ports', 'submission'], 'port'],
  ['MSS_IMAP_PORT', ['ports', 'imap'], 'port'],
  ['MSS_IMAPS_PORT', ['ports', 'imaps'], 'port'],
  ['MSS_HTTP_PORT', ['ports', 'http'], 'port'],
  ['MSS_LOG_LEVEL', ['log', 'level'], 'string'],
];

function readEnv(env: NodeJS.ProcessEnv, raw: Record<string, unknown>): void {
  for (const [name, keys, kind] of ENV_KEYS) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    if (kind === 'port') {
      if (!/^\d+$/.test(text)) throw new ConfigError(`${name}: "${text}" is not a port number (0–65535)`);
      setPath(raw, keys, Number(text));
    } else {
      setPath(raw, keys, text);
    }
  }
}

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  try {
    const parsed = stripComments(JSON.parse(text));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${file}: not valid JSON (${(err as Error).message})`);
  }
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  dataDir?: string;
  /** values set by the caller (tests, tools), applied last */
  overrides?: Record<string, unknown>;
}

export function parseConfig(raw: unknown): Config {
  const result = schema.safeParse(stripComments(raw));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      return `${key}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env.MSS_CONFIG;
  let raw: Record<string, unknown> = file ? readFile(file) : {};
  const fromEnv: Record<string, unknown> = {};
  readEnv(env, fromEnv);
  raw = merge(raw, fromEnv);
  if (sources.dataDir) raw = merge(raw, { dataDir: sources.dataDir });
  if (sources.overrides) raw = merge(raw, sources.overrides);
  const config = parseConfig(raw);
  config.dataDir = path.resolve(config.dataDir);
  config.tls.certDir = path.resolve(config.tls.certDir);
  return config;
}

export function defaultConfig(): Config {
  return parseConfig({});
}
