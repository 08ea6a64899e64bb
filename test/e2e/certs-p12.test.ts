/**
 * `mssgw certs issue NAME --client --p12`: the operator hands a professional one file and one
 * password for Thunderbird, Outlook or Apple Mail. Run as the operator runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTestCertificates } from '../helpers/certs.js';
import { mssgw, sandbox, type Sandbox } from '../helpers/cli.js';

const NAME = 'dr.house@hopital.mssante.fr';
const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

function opens(file: string, password: string): boolean {
  try {
    forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(readFileSync(file).toString('binary')), true, password);
    return true;
  } catch {
    return false;
  }
}

describe('mssgw certs issue --p12', () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox();
    copyTestCertificates(box.certDir);
  });

  it('writes NAME.p12 beside the .crt and .key and prints the generated password', async () => {
    const out = path.join(box.dir, 'generated');
    const result = await mssgw(box, ['certs', 'issue', NAME, '--client', '--p12', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const p12 = path.join(out, `${NAME}.p12`);
    expect(lines.slice(0, 3)).toEqual([path.join(out, `${NAME}.crt`), path.join(out, `${NAME}.key`), p12]);
    const password = /^p12 password: (\S+)$/.exec(lines[3] ?? '')?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(statSync(p12).mode & 0o777).toBe(0o600);
    expect(opens(p12, password!)).toBe(true);
    expect(opens(p12, 'guess')).toBe(false);
    if (hasOpenssl) {
      const info = spawnSync('openssl', ['pkcs12', '-info', '-nokeys', '-in', p12, '-passin', `pass:${password}`], { encoding: 'utf8' });
      expect(info.status, info.stderr).toBe(0);
      expect(info.stdout).toContain(`subject=CN = ${NAME}`);
    }
  });

  it('uses a given password without echoing it, and reports the cipher in --json', async () => {
    const out = path.join(box.dir, 'given');
    const result = await mssgw(box, ['certs', 'issue', NAME, '--client', '--p12', '--password', 'chosen passphrase', '--p12-cipher', 'aes256', '--out', out, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('chosen passphrase');
    const printed = JSON.parse(result.stdout) as Record<string, string>;
    expect(printed).toEqual({
      cert: path.join(out, `${NAME}.crt`),
      key: path.join(out, `${NAME}.key`),
      p12: path.join(out, `${NAME}.p12`),
      cipher: 'aes256',
    });
    expect(opens(printed.p12!, 'chosen passphrase')).toBe(true);
  });

  it('refuses a bad cipher, a bad password or a password without --p12 with exit 2, before signing anything', async () => {
    const out = path.join(box.dir, 'refused');
    const cipher = await mssgw(box, ['certs', 'issue', NAME, '--client', '--p12', '--p12-cipher', 'rc2-40', '--out', out]);
    expect(cipher.code).toBe(2);
    expect(cipher.stderr).toContain('--p12-cipher');
    const empty = await mssgw(box, ['certs', 'issue', NAME, '--client', '--p12', '--password', '', '--out', out]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('must not be empty');
    const alone = await mssgw(box, ['certs', 'issue', NAME, '--client', '--password', 'x', '--out', out]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('add --p12');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});
