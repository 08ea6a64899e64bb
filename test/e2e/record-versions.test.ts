/**
 * The record's "annule et remplace" rules through the running server: a re-sent document is
 * filed once and its author may change its visibility; an id reused for other content, a version
 * number taken twice, and a replacement by anyone but the organisation that filed the document
 * are refused with 554 5.6.0 before anything is delivered, and the original stays current.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCda, buildXdm, DOC_ROOT, SET_ROOT, type CdaSpec } from '../../fixtures/builders.js';
import { COLLEAGUE, DOCTOR, INS, PHARMACY, REMOTE_DOCTOR, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const JEANNE = citizen(INS.jeanne); // the builders' main patient

let world: World;
beforeAll(async () => {
  // "Another operator" comes in through the MX; no client certificate is needed for that here.
  world = await startWorld({ trust: { requireClientCert: false } });
});
afterAll(async () => {
  await world?.stop();
});

/** A hospital report, version `version` of the set `set`, with its own id unless told otherwise. */
function report(set: string, version: number, over: Partial<CdaSpec> = {}): CdaSpec {
  return {
    typeCode: '11490-0',
    title: "Compte rendu d'hospitalisation",
    id: { root: DOC_ROOT, extension: `${set}-V${version}` },
    setId: { root: SET_ROOT, extension: set },
    version,
    ...over,
  };
}

/** The same CDA under another custodian (the builders always name the same one). */
function otherCustodian(spec: CdaSpec): Buffer {
  const xml = buildCda(spec).toString('utf8');
  return Buffer.from(xml.replace('Cabinet du Dr Durand', 'Clinique des Lilas').replace('extension="1750000001"', 'extension="1750000099"'), 'utf8');
}

let sent = 0;
/** By submission in the sender's one session, or a connection of its own where sends must race. */
async function send(how: 'submission' | 'mx' | 'own connection', from: string, attachment: { filename: string; content: Buffer }) {
  const subject = `Version test ${++sent}`;
  const transport = how === 'mx' ? world.mx() : how === 'submission' ? world.session(from) : world.submission(from);
  const result = await trySend(transport, { from, to: JEANNE, subject, text: 'Document ci-joint.', attachments: [attachment] });
  return { ...result, subject };
}
const xdm = async (documents: Parameters<typeof buildXdm>[0]) => ({ filename: 'IHE_XDM.ZIP', content: await buildXdm(documents) });

function set(key: string): Array<{ document_id: string; version: number; status: string; confidentiality: string; organisation: string }> {
  const db = world.db();
  try {
    return db
      .prepare('SELECT document_id, version, status, confidentiality, organisation FROM record_documents WHERE citizen = ? AND set_id = ? ORDER BY version, id')
      .all(JEANNE, `${SET_ROOT}^${key}`) as ReturnType<typeof set>;
  } finally {
    db.close();
  }
}

function delivered(subject: string): number {
  const db = world.db();
  try {
    return db.prepare('SELECT count(*) FROM messages WHERE subject = ?').pluck().get(subject) as number;
  } finally {
    db.close();
  }
}

function history(action: string): Array<{ actor: string; target: string; outcome: string; detail: string }> {
  const db = world.db();
  try {
    return db.prepare('SELECT actor, target, outcome, detail FROM audit WHERE mailbox = ? AND action = ? ORDER BY id').all(JEANNE, action) as ReturnType<typeof history>;
  } finally {
    db.close();
  }
}

const docId = (set: string, version: number) => `${DOC_ROOT}^${set}-V${version}`;

describe('the same document again', () => {
  it('takes the visibility codes its organisation re-sends, keeps them through a bare CDA, and files it once', async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('VIS', 1) }] }))).ok).toBe(true);
    expect(set('VIS')).toMatchObject([{ status: 'current', confidentiality: 'N' }]);

    const masked = await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('VIS', 1), confidentiality: ['MASQUE_PS'] }] }));
    expect(masked.ok).toBe(true);
    expect(delivered(masked.subject)).toBe(1);
    expect(set('VIS')).toMatchObject([{ document_id: docId('VIS', 1), status: 'current', confidentiality: 'N MASQUE_PS' }]);
    expect(history('record.visibility').at(-1)).toMatchObject({ actor: DOCTOR, target: docId('VIS', 1), outcome: 'updated', detail: 'N → N MASQUE_PS' });

    // A bare CDA has no XDM metadata: it says nothing about visibility.
    const bare = await send('submission', DOCTOR, { filename: 'compte-rendu.xml', content: buildCda(report('VIS', 1)) });
    expect(bare.ok).toBe(true);
    expect(set('VIS')).toMatchObject([{ confidentiality: 'N MASQUE_PS' }]);
  });

  it('lets an ORG mailbox of the same organisation change them too', async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('ORG', 1) }] }))).ok).toBe(true);
    const unmasked = await send('submission', PHARMACY, await xdm({ documents: [{ cda: report('ORG', 1), confidentiality: ['INVISIBLE_REP_LEGAL'] }] }));
    expect(unmasked.ok).toBe(true);
    expect(set('ORG')).toMatchObject([{ confidentiality: 'N INVISIBLE_REP_LEGAL' }]);
  });

  it("delivers another operator's forward but does not let it change the codes", async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('FWD', 1), confidentiality: ['MASQUE_PS'] }] }))).ok).toBe(true);
    const forward = await send('mx', REMOTE_DOCTOR, await xdm({ documents: [{ cda: report('FWD', 1) }] }));
    expect(forward.ok).toBe(true);
    expect(delivered(forward.subject)).toBe(1);
    expect(set('FWD')).toMatchObject([{ status: 'current', confidentiality: 'N MASQUE_PS', organisation: 'hopital.mssante.fr' }]);
    expect(history('record.file').filter((l) => l.target === docId('FWD', 1)).map((l) => [l.actor, l.outcome])).toEqual([
      [DOCTOR, 'filed'],
      [REMOTE_DOCTOR, 'visibility-ignored'],
    ]);
  });

  it('refuses the same id with other content (an id names one document), delivering nothing', async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('REUSE', 1) }] }))).ok).toBe(true);
    const reused = await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('REUSE', 1, { title: 'Compte rendu modifié' }) }] }));
    expect(reused.ok).toBe(false);
    expect(reused.response).toMatch(/^554 5\.6\.0 Document refusé : cet identifiant de document est déjà classé dans le dossier avec un autre contenu \/ document refused: /);
    expect(reused.response).toContain('IHE_XDM.ZIP entry "IHE_XDM/SUBSET01/DOC0001.XML"');
    expect(reused.response).toContain('[RECORD_ID_REUSED]');
    expect(delivered(reused.subject)).toBe(0);
    expect(set('REUSE')).toHaveLength(1);
    expect(history('record.refuse').at(-1)).toMatchObject({ actor: DOCTOR, target: docId('REUSE', 1), outcome: 'RECORD_ID_REUSED' });
  });
});

describe('versions of a set', () => {
  it('refuses the same setId and versionNumber under another id, and never hides the current one', async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('TWIN', 1) }] }))).ok).toBe(true);
    const twin = await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('TWIN', 1, { id: { root: DOC_ROOT, extension: 'TWIN-OTHER' } }) }] }));
    expect(twin.response).toMatch(/^554 5\.6\.0 Document refusé : cette version du document est déjà classée dans le dossier sous un autre identifiant/);
    expect(twin.response).toContain('[RECORD_VERSION_TAKEN]');
    expect(delivered(twin.subject)).toBe(0);
    expect(set('TWIN')).toMatchObject([{ document_id: docId('TWIN', 1), status: 'current' }]);
  });

  it('refuses a replacement sent by another operator, even naming the same custodian', async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('MX', 1) }] }))).ok).toBe(true);
    const foreign = await send('mx', REMOTE_DOCTOR, await xdm({ documents: [{ cda: report('MX', 2) }] }));
    expect(foreign.ok).toBe(false);
    expect(foreign.response).toMatch(
      /^554 5\.6\.0 Document refusé : seul l'organisme qui a classé ce document dans le dossier peut le remplacer \/ document refused: only the organisation that filed this document in the record may replace it/,
    );
    expect(foreign.response).toContain('sent by ch-lyon.mssante.fr');
    expect(foreign.response).toContain('[RECORD_NOT_OWNER]');
    expect(delivered(foreign.subject)).toBe(0);
    expect(set('MX')).toMatchObject([{ version: 1, status: 'current' }]);
    expect(history('record.refuse').at(-1)).toMatchObject({ actor: REMOTE_DOCTOR, outcome: 'RECORD_NOT_OWNER' });
  });

  it('lets the organisation replace its document after rewording its name (same identifier)', async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('RENAMED', 1) }] }))).ok).toBe(true);
    const v2 = report('RENAMED', 2);
    const renamed = Buffer.from(buildCda(v2).toString('utf8').replace('Cabinet du Dr Durand', 'Cabinet médical Durand'), 'utf8');
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: v2, content: renamed }] }))).ok).toBe(true);
    expect(set('RENAMED')).toMatchObject([
      { version: 1, status: 'replaced' },
      { version: 2, status: 'current' },
    ]);
  });

  it('refuses a replacement from the same domain under another custodian', async () => {
    // The custodian is its identifier (FINESS under its OID), not its name, which may be reworded.
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('CUST', 1) }] }))).ok).toBe(true);
    const v2 = report('CUST', 2);
    const other = await send('submission', COLLEAGUE, await xdm({ documents: [{ cda: v2, content: otherCustodian(v2) }] }));
    expect(other.response).toMatch(/^554 5\.6\.0 .*custodian "1\.2\.250\.1\.71\.4\.2\.2\^1750000099".*\[RECORD_NOT_OWNER\]/);
    expect(set('CUST')).toMatchObject([{ version: 1, status: 'current' }]);
  });

  it('lets the organisation that filed it replace it (another of its mailboxes); the old version stays as history', async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('OWN', 1) }] }))).ok).toBe(true);
    expect((await send('submission', COLLEAGUE, await xdm({ documents: [{ cda: report('OWN', 2) }] }))).ok).toBe(true);
    expect(set('OWN').map((d) => [d.version, d.status])).toEqual([
      [1, 'replaced'],
      [2, 'current'],
    ]);
    expect(history('record.replace').at(-1)).toMatchObject({ actor: COLLEAGUE, target: docId('OWN', 1), outcome: 'replaced' });
  });

  it('files two versions sent in one message in order', async () => {
    const both = await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('PAIR', 1) }, { cda: report('PAIR', 2) }] }));
    expect(both.ok).toBe(true);
    expect(set('PAIR').map((d) => [d.version, d.status])).toEqual([
      [1, 'replaced'],
      [2, 'current'],
    ]);
  });

  it('never makes two current versions when two replacements race', async () => {
    expect((await send('submission', DOCTOR, await xdm({ documents: [{ cda: report('RACE', 1) }] }))).ok).toBe(true);
    const racing = await Promise.all(
      ['A', 'B'].map(async (who) => send('own connection', DOCTOR, await xdm({ documents: [{ cda: report('RACE', 2, { id: { root: DOC_ROOT, extension: `RACE-${who}` } }) }] }))),
    );
    // The loser is refused (554) or, when both were decided at once, told to retry (451).
    expect(racing.filter((r) => r.ok)).toHaveLength(1);
    expect(racing.find((r) => !r.ok)!.response).toMatch(/^(554 5\.6\.0 .*\[RECORD_VERSION_TAKEN\]|451 4\.3\.0 )/);
    expect(set('RACE').filter((d) => d.status === 'current')).toHaveLength(1);
    expect(set('RACE')).toHaveLength(2);
  });
});
