import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, parseConfig } from '../../src/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('configuration', () => {
  it('config/default.json holds exactly the schema defaults', () => {
    const file = JSON.parse(readFileSync(path.join(root, 'config/default.json'), 'utf8'));
    expect(parseConfig(file)).toEqual(defaultConfig());
    // …and every key of the schema is written there, documented: none left to the defaults.
    const withoutComments = (value: unknown): unknown =>
      Array.isArray(value) ? value : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== '//').map(([k, v]) => [k, withoutComments(v)])) : value;
    expect(withoutComments(file)).toEqual(defaultConfig());
  });

  it('layers file, environment and flags, later ones winning', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mss-config-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ ports: { smtp: 3025, http: 3080 }, hostname: 'mss.example.fr' }));
    const config = loadConfig({
      file,
      env: { MSS_HTTP_PORT: '0', MSS_DATA_DIR: '/tmp/env-data', MSS_HOST: '0.0.0.0' },
      dataDir: '/tmp/flag-data',
    });
    expect(config.ports).toMatchObject({ smtp: 3025, http: 0, submission: 2587 });
    expect(config.hostname).toBe('mss.example.fr');
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDir).toBe('/tmp/flag-data');
  });

  it('names the key and the problem of a wrong value', () => {
    expect(() => parseConfig({ ports: { smtp: 70000 } })).toThrow(/ports\.smtp: .*65535/);
    expect(() => parseConfig({ limits: { maxAttachmentBytes: -1 } })).toThrow(/limits\.maxAttachmentBytes/);
    expect(() => parseConfig({ tls: { minVersion: 'TLSv1' } })).toThrow(/tls\.minVersion/);
    expect(() => parseConfig({ domains: { local: ['not a domain'] } })).toThrow(/domains\.local\.0: must be a domain name/);
  });

  it('refuses unknown keys, so a typo does not silently do nothing', () => {
    expect(() => parseConfig({ prots: { smtp: 25 } })).toThrow(ConfigError);
    expect(() => parseConfig({ prots: { smtp: 25 } })).toThrow(/prots/);
  });

  it('refuses a port variable that is not a number', () => {
    expect(() => loadConfig({ env: { MSS_SMTP_PORT: 'twenty' } })).toThrow(/MSS_SMTP_PORT: "twenty" is not a port number/);
  });

  it('says which file is unreadable or not JSON', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mss-config-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(() => loadConfig({ file: bad, env: {} })).toThrow(/bad\.json: not valid JSON/);
    expect(() => loadConfig({ file: path.join(dir, 'missing.json'), env: {} })).toThrow(/missing\.json: cannot be read \(ENOENT\)/);
  });
});
