import { mkdirSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { mssgw, mssgwProcess, sandbox, type Sandbox } from '../helpers/cli.js';

const INS = '184127645108946';
const OTHER_INS = '269054958815780';

/** Reads the database as the CLI left it, closing the connection after. */
function read<T>(box: Sandbox, query: (db: Database.Database) => T): T {
  const db = new Database(path.join(box.dataDir, 'gateway.sqlite'), { readonly: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}

describe('mssgw CLI', () => {
  let box: Sandbox;
  beforeAll(async () => {
    box = sandbox();
    expect((await mssgw(box, ['domain', 'add-local', 'hopital.mssante.fr'])).code).toBe(0);
  });

  it('issues a citizen mailbox and stores a hashed password', async () => {
    const result = await mssgw(box, ['mailbox', 'add-patient', INS, '--email', 'jeanne@example.org', '--password', 'correct horse battery', '--name', 'Jeanne D']);
    expect(result).toMatchObject({ code: 0, stdout: `${INS}@patient.mssante.fr\n` });
    const row = read(box, (db) => db.prepare('SELECT * FROM mailboxes WHERE ins = ?').get(INS)) as Record<string, unknown>;
    expect(row).toMatchObject({ kind: 'CITIZEN', state: 'open', personal_email: 'jeanne@example.org', display_name: 'Jeanne D' });
    expect(String(row.password_hash)).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(String(row.password_hash)).not.toContain('correct horse');
  });

  it('refuses the same patient twice, with exit 2 and the reason', async () => {
    const result = await mssgw(box, ['mailbox', 'add-patient', INS]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`already has the mailbox ${INS}@patient.mssante.fr`);
  });

  it('refuses an invalid INS and says which check failed', async () => {
    const result = await mssgw(box, ['mailbox', 'add-patient', '184127645108947']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the control key does not match the number');
  });

  it('an opposed citizen cannot be given a mailbox later, until an explicit reactivation', async () => {
    expect((await mssgw(box, ['mailbox', 'oppose', OTHER_INS])).code).toBe(0);
    const refused = await mssgw(box, ['mailbox', 'add-patient', OTHER_INS]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('has opposed');
    expect((await mssgw(box, ['mailbox', 'oppose', OTHER_INS])).code).toBe(2);
    expect((await mssgw(box, ['mailbox', 'reactivate', OTHER_INS])).code).toBe(0);
    const row = read(box, (db) => db.prepare('SELECT state FROM mailboxes WHERE ins = ?').get(OTHER_INS));
    expect(row).toEqual({ state: 'open' });
  });

  it('creates professional mailboxes in local domains only', async () => {
    const ok = await mssgw(box, ['mailbox', 'add-pro', 'Dr.House@hopital.mssante.fr', '--type', 'PER', '--name', 'Dr House', '--rpps', '10101010101']);
    expect(ok).toMatchObject({ code: 0, stdout: 'dr.house@hopital.mssante.fr\n' });

    const remote = await mssgw(box, ['mailbox', 'add-pro', 'x@clinique.mssante.fr', '--type', 'PER']);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('clinique.mssante.fr is not a local professional domain');

    const malformed = await mssgw(box, ['mailbox', 'add-pro', 'not-an-address', '--type', 'PER']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('is not a mail address');

    const badType = await mssgw(box, ['mailbox', 'add-pro', 'y@hopital.mssante.fr', '--type', 'BOSS']);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('--type must be PER, ORG or APP');

    const twice = await mssgw(box, ['mailbox', 'add-pro', 'dr.house@hopital.mssante.fr', '--type', 'PER']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('already exists');

    const pharmacyPer = await mssgw(box, ['mailbox', 'add-pro', 'p@hopital.mssante.fr', '--type', 'PER', '--pharmacy']);
    expect(pharmacyPer.code).toBe(2);
    expect(pharmacyPer.stderr).toContain('only an ORG mailbox can be a pharmacy');

    expect((await mssgw(box, ['mailbox', 'add-pro', 'pharmacie@hopital.mssante.fr', '--type', 'ORG', '--pharmacy', '--name', 'Pharmacie du Centre'])).code).toBe(0);
  });

  it('lists mailboxes as text and JSON', async () => {
    const text = await mssgw(box, ['mailbox', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/dr\.house@hopital\.mssante\.fr\s+PER\s+open\s+Dr House/);
    const json = await mssgw(box, ['mailbox', 'list', '--json']);
    const list = JSON.parse(json.stdout) as Array<{ address: string; type: string; state: string; pharmacy: boolean }>;
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ address: 'pharmacie@hopital.mssante.fr', type: 'ORG', pharmacy: true, state: 'open' }),
        expect.objectContaining({ address: `${INS}@patient.mssante.fr`, type: 'CITIZEN', state: 'open' }),
      ]),
    );
  });

  it('sets a password, or generates one and prints it once', async () => {
    const generated = await mssgw(box, ['mailbox', 'passwd', 'dr.house@hopital.mssante.fr', '--json']);
    expect(generated.code).toBe(0);
    expect(JSON.parse(generated.stdout).password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const short = await mssgw(box, ['mailbox', 'passwd', 'dr.house@hopital.mssante.fr', '--password', 'short']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('at least 10 characters');
    expect((await mssgw(box, ['mailbox', 'passwd', 'nobody@hopital.mssante.fr', '--password', 'long enough pw'])).code).toBe(2);
  });

  it('closes a mailbox once', async () => {
    expect((await mssgw(box, ['mailbox', 'close', 'pharmacie@hopital.mssante.fr'])).code).toBe(0);
    const again = await mssgw(box, ['mailbox', 'close', 'pharmacie@hopital.mssante.fr']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already closed');
    expect((await mssgw(box, ['mailbox', 'reactivate', 'pharmacie@hopital.mssante.fr'])).code).toBe(0);
  });

  it('manages local domains', async () => {
    expect((await mssgw(box, ['domain', 'add-local', 'Labo.MSSante.fr'])).code).toBe(0);
    expect((await mssgw(box, ['domain', 'add-local', 'patient.mssante.fr'])).code).toBe(2);
    expect((await mssgw(box, ['domain', 'add-local', 'not a domain'])).code).toBe(2);
    expect(JSON.parse((await mssgw(box, ['domain', 'list', '--json'])).stdout)).toEqual(['hopital.mssante.fr', 'labo.mssante.fr']);
  });

  it('manages the trust list, including the national XML and plain lists', async () => {
    expect((await mssgw(box, ['trust', 'add', 'ch-lyon.mssante.fr'])).code).toBe(0);
    const xml = path.join(box.dir, 'liste-blanche.xml');
    writeFileSync(
      xml,
      `<?xml version="1.0" encoding="UTF-8"?>
<ListeBlanche><Domaines>
  <Domaine><Nom>ch-nantes.mssante.fr</Nom><Operateur>X</Operateur></Domaine>
  <Domaine><Nom>CH-LYON.mssante.fr</Nom></Domaine>
  <Domaine><Nom>labo-bio.mssante.fr</Nom></Domaine>
</Domaines></ListeBlanche>`,
    );
    const imported = await mssgw(box, ['trust', 'import', xml, '--json']);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({ read: 3, added: 2 });

    const lines = path.join(box.dir, 'domains.txt');
    writeFileSync(lines, '# operators\nclinique-a.mssante.fr\n\nclinique-b.mssante.fr  # second\n');
    expect(JSON.parse((await mssgw(box, ['trust', 'import', lines, '--json'])).stdout)).toEqual({ read: 2, added: 2 });

    const list = JSON.parse((await mssgw(box, ['trust', 'list', '--json'])).stdout) as Array<{ domain: string }>;
    expect(list.map((d) => d.domain)).toEqual([
      'ch-lyon.mssante.fr',
      'ch-nantes.mssante.fr',
      'clinique-a.mssante.fr',
      'clinique-b.mssante.fr',
      'labo-bio.mssante.fr',
    ]);
    expect((await mssgw(box, ['trust', 'remove', 'clinique-b.mssante.fr'])).code).toBe(0);
    const missing = await mssgw(box, ['trust', 'remove', 'clinique-b.mssante.fr']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('is not in the trust list');
  });

  it('refuses a trust list with a DOCTYPE or with a bad domain, adding nothing', async () => {
    const xxe = path.join(box.dir, 'xxe.xml');
    writeFileSync(xxe, '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><L><Domaine><Nom>&e;</Nom></Domaine></L>');
    const refused = await mssgw(box, ['trust', 'import', xxe]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('DOCTYPE is not allowed');

    const bad = path.join(box.dir, 'bad.txt');
    writeFileSync(bad, 'ok-domain.mssante.fr\nnot a domain\n');
    const badResult = await mssgw(box, ['trust', 'import', bad]);
    expect(badResult.code).toBe(2);
    expect(badResult.stderr).toContain('"not a domain" is not a valid domain name');
    const list = JSON.parse((await mssgw(box, ['trust', 'list', '--json'])).stdout) as Array<{ domain: string }>;
    expect(list.map((d) => d.domain)).not.toContain('ok-domain.mssante.fr');
  });

  it('keeps a directory of professionals and pharmacies, local and remote', async () => {
    expect((await mssgw(box, ['directory', 'add', 'officine@ch-nantes.mssante.fr', '--type', 'ORG', '--pharmacy', '--name', 'Pharmacie de la Loire'])).code).toBe(0);
    const untrusted = await mssgw(box, ['directory', 'add', 'x@gmail.com', '--type', 'PER']);
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toContain('neither a local domain nor in the trust list');

    const found = JSON.parse((await mssgw(box, ['directory', 'search', 'pharmacie', '--json'])).stdout);
    // Ordered by name: "Pharmacie de la Loire" before "Pharmacie du Centre".
    expect(found).toEqual([
      expect.objectContaining({ address: 'officine@ch-nantes.mssante.fr', pharmacy: true, local: false, name: 'Pharmacie de la Loire' }),
      expect.objectContaining({ address: 'pharmacie@hopital.mssante.fr', pharmacy: true, local: true }),
    ]);
    const byRpps = JSON.parse((await mssgw(box, ['directory', 'search', '10101010101', '--json'])).stdout);
    expect(byRpps).toEqual([expect.objectContaining({ address: 'dr.house@hopital.mssante.fr' })]);
  });

  it('writes an audit line for every change, never a password', async () => {
    const rows = read(box, (db) => db.prepare('SELECT action, mailbox, target, detail FROM audit').all()) as Array<Record<string, string>>;
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['mailbox.create', 'mailbox.oppose', 'mailbox.passwd', 'trust.import', 'directory.add']));
    expect(JSON.stringify(rows)).not.toContain('correct horse');
  });

  it('creates development certificates with private keys readable by the owner only', async () => {
    const init = await mssgw(box, ['certs', 'init']);
    expect(init.code).toBe(0);
    expect(statSync(path.join(box.certDir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(box.certDir, 'server.key')).mode & 0o777).toBe(0o600);
    const issued = await mssgw(box, ['certs', 'issue', 'dr.house@hopital.mssante.fr', '--client', '--out', path.join(box.dir, 'client')]);
    expect(issued.code).toBe(0);
    const keyFile = path.join(box.dir, 'client', 'dr.house@hopital.mssante.fr.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('answers a usage error with exit 2 and the usage line', async () => {
    const unknown = await mssgw(box, ['mailbox', 'explode']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
    const missing = await mssgw(box, ['mailbox', 'add-patient']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('usage: mssgw mailbox add-patient <INS>');
    const badFlag = await mssgw(box, ['trust', 'list', '--frobnicate']);
    expect(badFlag.code).toBe(2);
  });

  it('stops on a wrong configuration value, naming the key', async () => {
    const file = path.join(box.dir, 'bad-config.json');
    writeFileSync(file, JSON.stringify({ ports: { smtp: 'twenty-five' } }));
    const result = await mssgw(box, ['mailbox', 'list', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ports.smtp');
  });

  it('leaves no database open in the process that ran the commands (they ran in-process)', () => {
    const open = readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return ''; // closed meanwhile
        }
      })
      .filter((target) => target.startsWith(box.dataDir));
    expect(open).toEqual([]);
  });
});

// The tests above run `main` in-process; these prove the executable itself: its exit codes and
// that the output reaches the process's stdout and stderr.
describe('the mssgw executable', () => {
  it('exits 0, 2 and 1 as the contract says, with data on stdout and reasons on stderr', async () => {
    const box = sandbox();
    const broken = path.join(box.dir, 'broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'gateway.sqlite'), 'this is not a SQLite database, whatever its name says\n'.repeat(4));
    const [added, listed, usage, invalid, failure] = await Promise.all([
      mssgwProcess(box, ['mailbox', 'add-patient', INS]),
      mssgwProcess(box, ['--help']),
      mssgwProcess(box, ['mailbox', 'add-patient']),
      mssgwProcess(box, ['mailbox', 'add-patient', '184127645108947']),
      mssgwProcess(box, ['mailbox', 'list', '--data', broken]),
    ]);
    expect(added).toMatchObject({ code: 0, stdout: `${INS}@patient.mssante.fr\n`, stderr: '' });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('mailbox add-patient <INS>');
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toContain('usage: mssgw mailbox add-patient <INS>');
    expect(invalid).toMatchObject({ code: 2, stdout: '' });
    expect(invalid.stderr).toContain('the control key does not match the number');
    expect(failure).toMatchObject({ code: 1, stdout: '' });
    expect(failure.stderr).toContain('mssgw mailbox list: SqliteError: file is not a database');
  });
});
