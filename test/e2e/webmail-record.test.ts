/**
 * The citizen's health record, activity history, contacts and pharmacy picker through the
 * running server's JSON API (docs/webmail-api.md): documents delivered by real mail with the
 * CDA fixtures are listed in their categories, versions show as replaced, a document hidden
 * from the patient does not exist for them, files download byte for byte and leave a line in
 * the history, an attachment is filed into the record under the delivery's checks and rules,
 * and no id of one citizen's opens anything of another's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { SendMailOptions } from 'nodemailer/lib/mailer/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCda, buildJpeg, buildPdf, buildXdm, DOC_ROOT, OTHER_INS, SET_ROOT } from '../../fixtures/builders.js';
import { readAttachments } from '../../src/documents/check.js';
import { indexMessage } from '../../src/mime/indexer.js';
import { fsBlobStore } from '../../src/store/fs/blobs.js';
import { openStore } from '../../src/store/open.js';
import type { BlobStore, Store } from '../../src/store/types.js';
import { mssgw, ROOT } from '../helpers/cli.js';
import { WebClient } from '../helpers/web-client.js';
import { DOCTOR, INS, PASSWORD, PHARMACY, REMOTE_PHARMACY, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const JEANNE = citizen(INS.jeanne); // the fixtures' main patient
const PAUL = citizen(INS.paul); // the fixtures' "other patient"
const fixture = (name: string) => readFileSync(path.join(ROOT, 'fixtures/documents', name));

let world: World;
/** The same database and files, opened by this process: for what no door of the server can produce. */
let store: Store;
let blobs: BlobStore;

beforeAll(async () => {
  // Many calls from one address in a minute: the per-client limit is not what is tested here.
  world = await startWorld({ web: { rateLimitPerMinute: 100_000 } });
  store = openStore(world.box.dataDir);
  blobs = fsBlobStore(world.box.dataDir);
});
afterAll(async () => {
  await store?.close();
  await world?.stop();
});

// ---------------------------------------------------------------------------------------------
// Mail and the database

let sent = 0;
/** The doctor writes to a citizen by SMTP submission; returns the subject (unique) to find it by. */
async function doctorSends(to: string, attachments: SendMailOptions['attachments'], extra: Partial<SendMailOptions> = {}): Promise<string> {
  const subject = `Envoi ${++sent}`;
  const result = await trySend(world.session(), { from: DOCTOR, to, subject, text: 'Document ci-joint.', attachments, ...extra });
  expect(result.ok, result.response).toBe(true);
  return subject;
}

function query<T>(sql: string, ...params: unknown[]): T[] {
  return world.query<T>(sql, ...params);
}

/** The id (the API's) of the message with this subject in this mailbox. */
function messageId(mailbox: string, subject: string): number {
  const rows = query<{ id: number }>(
    `SELECT x.id FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
     WHERE m.address = ? AND x.subject = ?`,
    mailbox,
    subject,
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

/**
 * A message put straight into a citizen's INBOX, as one kept from before the document checks
 * (or imported) would be: the one way a mailbox holds what delivery now refuses, such as a CDA
 * about someone else. Filing must check it all the same.
 */
async function storedMessage(mailbox: string, subject: string, attachments: SendMailOptions['attachments']): Promise<number> {
  const raw = await new MailComposer({ from: DOCTOR, to: mailbox, subject, text: 'Ancien message.', attachments }).compile().build();
  const box = (await store.mailboxes.byAddress(mailbox))!;
  const inbox = (await store.folders.byName(box.id, 'INBOX'))!;
  const blob = await blobs.put(raw);
  const added = await store.messages.append(box.id, inbox.id, {
    blob,
    mime: indexMessage(raw),
    subject,
    from: DOCTOR,
    messageId: `<stored-${subject.replace(/\W/g, '')}@hopital.mssante.fr>`,
    date: new Date(),
    hasAttachments: true,
  });
  return added.id;
}

/** Makes a filed document hidden from the patient, as a record-feeding channel would file it. */
function makeInvisible(documentRowId: number): void {
  const db = new Database(path.join(world.box.dataDir, 'gateway.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare("UPDATE record_documents SET confidentiality = 'N INVISIBLE_PATIENT' WHERE id = ?").run(documentRowId);
  } finally {
    db.close();
  }
}

/** The CDA and PDF a fixture carries, as the document checks read them. */
async function contentsOf(name: string): Promise<{ xml: Buffer; pdf?: Buffer }> {
  const read = await readAttachments([{ filename: name, contentType: 'application/octet-stream', content: fixture(name) }]);
  const item = read.attachments[0] as { documents: Array<{ xml: Buffer; pdf?: Buffer }> };
  return item.documents[0]!;
}

interface Doc {
  id: number;
  title: string;
  category: string;
  categoryLabel: string;
  typeCode: string;
  author: string | null;
  date: string | null;
  sender: string;
  filedAt: string;
  version: number;
  status: 'current' | 'replaced';
  replacedBy: number | null;
  hasPdf: boolean;
  source: 'message' | 'citizen';
}

async function documents(client: WebClient, category?: string): Promise<Doc[]> {
  const answer = await client.get(`/api/record/documents${category === undefined ? '' : `?category=${category}`}`);
  expect(answer.status).toBe(200);
  return answer.body.documents as Doc[];
}

const byTitle = (list: Doc[], title: string) => list.filter((d) => d.title === title);

// ---------------------------------------------------------------------------------------------

let jeanne: WebClient;
let paul: WebClient;
let doctor: WebClient;

/** What Jeanne's mailbox and record hold once the doctor has written (set up once, read by the tests). */
const mail = {
  prescription: '',
  biology: '',
  reportV1: '',
  reportV2: '',
  masked: '',
  bare: '',
  hidden: '',
  pdf: '',
  jpeg: '',
};
const scanPdf = buildPdf({ lines: ['Compte rendu scanne', 'Page 1'] });
const hiddenCda = buildCda({ typeCode: '11502-2', title: 'Résultat à annoncer en consultation', id: { root: DOC_ROOT, extension: 'HIDDEN-2024-1' } });

beforeAll(async () => {
  mail.prescription = await doctorSends(JEANNE, [{ filename: 'IHE_XDM.ZIP', content: fixture('presc-n1.zip') }]);
  mail.biology = await doctorSends(JEANNE, [{ filename: 'IHE_XDM.ZIP', content: fixture('bio-n3.zip') }]);
  mail.reportV1 = await doctorSends(JEANNE, [{ filename: 'IHE_XDM.ZIP', content: fixture('cr-v1.zip') }]);
  mail.reportV2 = await doctorSends(JEANNE, [{ filename: 'IHE_XDM.ZIP', content: fixture('cr-v2.zip') }]);
  mail.masked = await doctorSends(JEANNE, [{ filename: 'IHE_XDM.ZIP', content: fixture('masque-ps.zip') }]);
  mail.bare = await doctorSends(JEANNE, [{ filename: 'consultation.xml', content: fixture('bare-cda.xml'), contentType: 'text/xml' }]);
  mail.hidden = await doctorSends(JEANNE, [{ filename: 'resultat.xml', content: hiddenCda, contentType: 'text/xml' }]);
  mail.pdf = await doctorSends(JEANNE, [{ filename: 'compte-rendu-scanné.pdf', content: scanPdf, contentType: 'application/pdf' }]);
  mail.jpeg = await doctorSends(JEANNE, [{ filename: 'radio.jpg', content: buildJpeg(), contentType: 'image/jpeg' }]);
  const hidden = query<{ id: number }>('SELECT id FROM record_documents WHERE citizen = ? AND title = ?', JEANNE, 'Résultat à annoncer en consultation');
  makeInvisible(hidden[0]!.id);

  const port = world.server.ports.http;
  jeanne = await WebClient.login(port, JEANNE, PASSWORD);
  paul = await WebClient.login(port, PAUL, PASSWORD);
  doctor = await WebClient.login(port, DOCTOR, PASSWORD);
});

describe('GET /api/record/categories', () => {
  it('gives the Mon espace santé categories in display order, with their French names', async () => {
    const answer = await jeanne.get('/api/record/categories');
    expect(answer.status).toBe(200);
    expect(answer.body.categories).toEqual([
      { code: 'SANTE_RESUME', label: 'Ma santé en résumé' },
      { code: 'ORDONNANCES_SOINS', label: 'Ordonnances et soins' },
      { code: 'IMAGERIE', label: 'Radio, écho, scanner, IRM' },
      { code: 'BIOLOGIE', label: 'Résultats de biologie' },
      { code: 'COMPTES_RENDUS', label: 'Comptes rendus' },
      { code: 'PREVENTION', label: 'Prévention et dépistage' },
      { code: 'CERTIFICATS', label: 'Certificats médicaux' },
      { code: 'ADMINISTRATIF', label: 'Pièces administratives' },
      { code: 'VACCINATIONS', label: 'Vaccinations' },
      { code: 'AUTRES', label: 'Autres documents' },
    ]);
  });
});

describe('GET /api/record/documents', () => {
  it('lists the delivered documents in the category of their type code, newest first', async () => {
    const list = await documents(jeanne);
    expect(byTitle(list, 'Ordonnance')).toEqual([
      {
        id: expect.any(Number),
        title: 'Ordonnance',
        category: 'ORDONNANCES_SOINS',
        categoryLabel: 'Ordonnances et soins',
        typeCode: '57833-6',
        author: 'Paul DURAND',
        date: '2024-01-15T09:00:00.000Z',
        sender: DOCTOR,
        filedAt: expect.any(String),
        version: 1,
        status: 'current',
        replacedBy: null,
        hasPdf: true,
        source: 'message',
      },
    ]);
    expect(byTitle(list, "Compte rendu d'examens de biologie médicale")).toMatchObject([{ category: 'BIOLOGIE', categoryLabel: 'Résultats de biologie', hasPdf: false }]);
    expect(byTitle(list, 'Compte rendu de consultation')).toMatchObject([{ category: 'COMPTES_RENDUS', typeCode: '11488-4', hasPdf: true }]);
    const filed = list.map((d) => Date.parse(d.filedAt));
    expect(filed).toEqual([...filed].sort((a, b) => b - a));
    const ids = list.map((d) => d.id);
    expect(ids.indexOf(byTitle(list, 'Compte rendu de consultation')[0]!.id)).toBeLessThan(ids.indexOf(byTitle(list, 'Ordonnance')[0]!.id));
  });

  it('filters by category, and refuses a category that does not exist', async () => {
    const biology = await documents(jeanne, 'BIOLOGIE');
    expect(biology.map((d) => d.title)).toEqual(["Compte rendu d'examens de biologie médicale"]);
    expect((await documents(jeanne, 'ORDONNANCES_SOINS')).map((d) => d.title)).toEqual(['Ordonnance']);
    expect(await documents(jeanne, 'VACCINATIONS')).toEqual([]);
    expect((await documents(jeanne, '')).length).toBe((await documents(jeanne)).length);
    const unknown = await jeanne.get('/api/record/documents?category=NOPE');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('UNKNOWN_CATEGORY');
  });

  it('shows a replaced version as replaced, pointing to the version that replaced it', async () => {
    const reports = byTitle(await documents(jeanne), "Compte rendu d'hospitalisation");
    expect(reports.map((d) => [d.version, d.status])).toEqual([
      [2, 'current'],
      [1, 'replaced'],
    ]);
    expect(reports[1]!.replacedBy).toBe(reports[0]!.id);
    expect(reports[0]!.replacedBy).toBeNull();
  });

  it('shows MASQUE_PS documents to the patient (they hide from professionals only)', async () => {
    expect(byTitle(await documents(jeanne), "Compte rendu d'imagerie médicale")).toMatchObject([{ category: 'IMAGERIE', status: 'current' }]);
  });

  it('never lists a document hidden from the patient (INVISIBLE_PATIENT)', async () => {
    const list = await documents(jeanne);
    expect(byTitle(list, 'Résultat à annoncer en consultation')).toEqual([]);
    expect(await documents(jeanne, 'BIOLOGIE')).toHaveLength(1);
  });
});

describe('GET /api/record/documents/:id and its content', () => {
  it('gives a document with every version of its set, newest first, and writes record.read', async () => {
    const [v2, v1] = byTitle(await documents(jeanne), "Compte rendu d'hospitalisation");
    const answer = await jeanne.get(`/api/record/documents/${v1!.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body.document).toEqual(v1);
    expect(answer.body.versions).toEqual([v2, v1]);
    const targets = query<{ target: string; actor: string }>("SELECT target, actor FROM audit WHERE mailbox = ? AND action = 'record.read'", JEANNE);
    expect(targets).toContainEqual({ target: `${DOC_ROOT}^CR-2024-0007-V1`, actor: JEANNE });
  });

  it('downloads the PDF by default and the CDA on request, byte for byte, each written to the history', async () => {
    const [v2] = byTitle(await documents(jeanne), "Compte rendu d'hospitalisation");
    const expected = await contentsOf('cr-v2.zip');

    const pdf = await jeanne.get(`/api/record/documents/${v2!.id}/content`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="Compte rendu d'hospitalisation.pdf"; filename*=UTF-8''Compte%20rendu%20d%27hospitalisation.pdf`);
    expect(pdf.bytes.equals(expected.pdf!)).toBe(true);

    const cda = await jeanne.get(`/api/record/documents/${v2!.id}/content?format=cda`);
    expect(cda.status).toBe(200);
    expect(cda.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(cda.headers.get('content-disposition')).toContain('filename="Compte rendu d\'hospitalisation.xml"');
    expect(cda.bytes.equals(expected.xml)).toBe(true);

    const lines = query<{ actor: string; target: string; detail: string }>("SELECT actor, target, detail FROM audit WHERE mailbox = ? AND action = 'record.download' ORDER BY id", JEANNE);
    expect(lines.slice(-2)).toEqual([
      { actor: JEANNE, target: `${DOC_ROOT}^CR-2024-0007-V2`, detail: 'pdf' },
      { actor: JEANNE, target: `${DOC_ROOT}^CR-2024-0007-V2`, detail: 'cda' },
    ]);
    const activity = await jeanne.get('/api/activity');
    expect(activity.body.entries[0]).toMatchObject({ action: 'record.download', actor: JEANNE, label: "Vous avez téléchargé le document « Compte rendu d'hospitalisation » (CDA)" });
  });

  it('gives the CDA of a document without PDF by default, and 404 for a PDF it does not have', async () => {
    const [biology] = await documents(jeanne, 'BIOLOGIE');
    const answer = await jeanne.get(`/api/record/documents/${biology!.id}/content`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(answer.bytes.equals((await contentsOf('bio-n3.zip')).xml)).toBe(true);
    expect((await jeanne.get(`/api/record/documents/${biology!.id}/content?format=pdf`)).status).toBe(404);
    const bad = await jeanne.get(`/api/record/documents/${biology!.id}/content?format=exe`);
    expect(bad.status).toBe(400);
  });

  it('answers a document hidden from the patient exactly as an id that does not exist', async () => {
    const [hidden] = query<{ id: number }>('SELECT id FROM record_documents WHERE citizen = ? AND title = ?', JEANNE, 'Résultat à annoncer en consultation');
    const missing = await jeanne.get('/api/record/documents/999999');
    expect(missing.status).toBe(404);
    for (const url of [`/api/record/documents/${hidden!.id}`, `/api/record/documents/${hidden!.id}/content`, `/api/record/documents/${hidden!.id}/content?format=cda`]) {
      const answer = await jeanne.get(url);
      expect(answer.status, url).toBe(404);
      expect(answer.body).toEqual(missing.body);
    }
    // Nor does anything of it show in the history.
    const activity = await jeanne.get('/api/activity?limit=100');
    expect(JSON.stringify(activity.body)).not.toContain('HIDDEN-2024-1');
    expect(JSON.stringify(activity.body)).not.toContain('Résultat à annoncer');
  });
});

describe('POST /api/messages/:id/attachments/:n/file', () => {
  it('files a PDF attachment as the citizen’s own document in the category chosen, once', async () => {
    const id = messageId(JEANNE, mail.pdf);
    expect((await jeanne.get(`/api/messages/${id}`)).body.attachments[0].filedDocumentId).toBeNull();
    const missing = await jeanne.post(`/api/messages/${id}/attachments/0/file`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('CATEGORY_REQUIRED');
    const unknown = await jeanne.post(`/api/messages/${id}/attachments/0/file`, { category: 'NOPE' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('UNKNOWN_CATEGORY');

    const filed = await jeanne.post(`/api/messages/${id}/attachments/0/file`, { category: 'COMPTES_RENDUS' });
    expect(filed.status).toBe(201);
    expect(filed.body.document).toMatchObject({
      title: 'compte-rendu-scanné.pdf',
      category: 'COMPTES_RENDUS',
      categoryLabel: 'Comptes rendus',
      typeCode: 'DOCPAT03',
      sender: JEANNE,
      version: 1,
      status: 'current',
      hasPdf: true,
      source: 'citizen',
    });
    const listed = await documents(jeanne, 'COMPTES_RENDUS');
    expect(listed[0]).toEqual(filed.body.document);
    // The message now says which record document its attachment became.
    expect((await jeanne.get(`/api/messages/${id}`)).body.attachments[0].filedDocumentId).toBe(filed.body.document.id);

    const content = await jeanne.get(`/api/record/documents/${filed.body.document.id}/content`);
    expect(content.headers.get('content-type')).toBe('application/pdf');
    expect(content.headers.get('content-disposition')).toContain(`filename*=UTF-8''compte-rendu-scann%C3%A9.pdf`);
    expect(content.bytes.equals(scanPdf)).toBe(true);
    expect((await jeanne.get(`/api/record/documents/${filed.body.document.id}/content?format=cda`)).status).toBe(404);

    const again = await jeanne.post(`/api/messages/${id}/attachments/0/file`, { category: 'ADMINISTRATIF' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_FILED');
    expect(await documents(jeanne, 'ADMINISTRATIF')).toEqual([]);

    const line = query<{ actor: string; outcome: string }>("SELECT actor, outcome FROM audit WHERE mailbox = ? AND action = 'record.file' AND actor = ?", JEANNE, JEANNE);
    expect(line).toEqual([{ actor: JEANNE, outcome: 'filed' }]);
  });

  it('files an image with the DOCPAT code of its category, and gives it back as it was', async () => {
    const id = messageId(JEANNE, mail.jpeg);
    const filed = await jeanne.post(`/api/messages/${id}/attachments/0/file`, { category: 'IMAGERIE' });
    expect(filed.status).toBe(201);
    expect(filed.body.document).toMatchObject({ title: 'radio.jpg', category: 'IMAGERIE', typeCode: 'DOCPAT04', hasPdf: false, source: 'citizen' });
    const content = await jeanne.get(`/api/record/documents/${filed.body.document.id}/content`);
    expect(content.headers.get('content-type')).toBe('image/jpeg');
    expect(content.headers.get('content-disposition')).toContain('filename="radio.jpg"');
    expect(content.bytes.equals(buildJpeg())).toBe(true);
  });

  it('answers 409 ALREADY_FILED for a CDA the delivery already filed', async () => {
    const before = (await documents(jeanne)).length;
    const answer = await jeanne.post(`/api/messages/${messageId(JEANNE, mail.prescription)}/attachments/0/file`, {});
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('ALREADY_FILED');
    const bare = await jeanne.post(`/api/messages/${messageId(JEANNE, mail.bare)}/attachments/0/file`, { category: 'AUTRES' });
    expect(bare.status).toBe(409);
    expect((await documents(jeanne)).length).toBe(before);
  });

  it('files a CDA not yet in the record in the category of its type code, whatever category is asked', async () => {
    const cda = buildCda({ typeCode: '11502-2', title: 'Bilan sanguin de 2019', id: { root: DOC_ROOT, extension: 'OLD-2019-1' }, setId: { root: SET_ROOT, extension: 'OLD-2019' } });
    const id = await storedMessage(JEANNE, 'Ancien bilan', [{ filename: 'IHE_XDM.ZIP', content: await buildXdm({ documents: [{ content: cda, cda: { typeCode: '11502-2', title: 'Bilan sanguin de 2019', id: { root: DOC_ROOT, extension: 'OLD-2019-1' } } }] }) }]);
    const filed = await jeanne.post(`/api/messages/${id}/attachments/0/file`, { category: 'ADMINISTRATIF' });
    expect(filed.status).toBe(201);
    expect(filed.body.document).toMatchObject({ title: 'Bilan sanguin de 2019', category: 'BIOLOGIE', typeCode: '11502-2', sender: DOCTOR, source: 'message', hasPdf: true });
    const cdaBytes = await jeanne.get(`/api/record/documents/${filed.body.document.id}/content?format=cda`);
    expect(cdaBytes.bytes.equals(cda)).toBe(true);
    expect((await jeanne.post(`/api/messages/${id}/attachments/0/file`, {})).status).toBe(409);
    // Filed as the doctor's document: a later version from the hospital replaces it, under the version rules.
    const v2 = buildCda({ typeCode: '11502-2', title: 'Bilan sanguin de 2019 (corrigé)', id: { root: DOC_ROOT, extension: 'OLD-2019-2' }, setId: { root: SET_ROOT, extension: 'OLD-2019' }, version: 2 });
    await doctorSends(JEANNE, [{ filename: 'bilan.xml', content: v2, contentType: 'text/xml' }]);
    const set = (await documents(jeanne, 'BIOLOGIE')).filter((d) => d.title.startsWith('Bilan sanguin de 2019'));
    expect(set.map((d) => [d.version, d.status, d.replacedBy])).toEqual([
      [2, 'current', null],
      [1, 'replaced', set[0]!.id],
    ]);
  });

  it('refuses a CDA about another patient with 422 WRONG_PATIENT, filing nothing', async () => {
    const id = await storedMessage(JEANNE, 'Document de Paul', [{ filename: 'IHE_XDM.ZIP', content: fixture('wrong-patient.zip') }]);
    const before = (await documents(jeanne)).length;
    const answer = await jeanne.post(`/api/messages/${id}/attachments/0/file`, { category: 'ORDONNANCES_SOINS' });
    expect(answer.status).toBe(422);
    expect(answer.body.error).toEqual({ code: 'WRONG_PATIENT', message: 'Document refusé : le document ne concerne pas le patient destinataire.' });
    expect((await documents(jeanne)).length).toBe(before);
    const bare = await storedMessage(JEANNE, 'CDA de Paul', [{ filename: 'paul.xml', content: buildCda({ ins: OTHER_INS }), contentType: 'text/xml' }]);
    expect((await jeanne.post(`/api/messages/${bare}/attachments/0/file`, {})).body.error.code).toBe('WRONG_PATIENT');
    const history = (await jeanne.get('/api/activity')).body.entries;
    expect(history[0]).toMatchObject({ action: 'record.refuse', actor: JEANNE, target: `${bare}/0`, outcome: 'WRONG_PATIENT' });
    expect(history[0].label).toBe('Pièce jointe « paul.xml » non classée dans votre dossier : le document ne concerne pas le patient destinataire');
  });

  it('refuses what delivery to a citizen refuses: a forbidden format, an invisible document, an invalid CDA', async () => {
    const html = await storedMessage(JEANNE, 'Page web', [{ filename: 'page.pdf', content: fixture('not-a-pdf.pdf'), contentType: 'application/pdf' }]);
    const forbidden = await jeanne.post(`/api/messages/${html}/attachments/0/file`, { category: 'AUTRES' });
    expect(forbidden.status).toBe(422);
    expect(forbidden.body.error.code).toBe('FORBIDDEN_FORMAT');

    const invisible = await storedMessage(JEANNE, 'Invisible', [{ filename: 'IHE_XDM.ZIP', content: fixture('invisible-patient.zip') }]);
    const hidden = await jeanne.post(`/api/messages/${invisible}/attachments/0/file`, {});
    expect(hidden.status).toBe(422);
    expect(hidden.body.error.code).toBe('INVALID_DOCUMENT');

    const broken = await storedMessage(JEANNE, 'Sans auteur', [{ filename: 'IHE_XDM.ZIP', content: fixture('cda-no-author.zip') }]);
    expect((await jeanne.post(`/api/messages/${broken}/attachments/0/file`, {})).body.error.code).toBe('INVALID_DOCUMENT');
    expect(byTitle(await documents(jeanne), "Compte rendu d'hospitalisation")).toHaveLength(2);
  });

  it('is for citizens only: a professional gets 403 NOT_A_CITIZEN', async () => {
    const answer = await doctor.post(`/api/messages/${messageId(JEANNE, mail.pdf)}/attachments/0/file`, { category: 'AUTRES' });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('NOT_A_CITIZEN');
  });

  it('answers 404 for an attachment that does not exist, and needs the CSRF token', async () => {
    const id = messageId(JEANNE, mail.pdf);
    expect((await jeanne.post(`/api/messages/${id}/attachments/5/file`, { category: 'AUTRES' })).status).toBe(404);
    expect((await jeanne.post(`/api/messages/999999/attachments/0/file`, { category: 'AUTRES' })).status).toBe(404);
    const noToken = await jeanne.call<{ error: { code: string } }>('POST', `/api/messages/${id}/attachments/0/file`, { category: 'AUTRES' }, { csrf: null });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('CSRF');
  });
});

describe('GET /api/activity', () => {
  it('says each line in French, never with a message’s content', async () => {
    const answer = await jeanne.get('/api/activity?limit=100');
    expect(answer.status).toBe(200);
    const labels = (answer.body.entries as Array<{ label: string }>).map((e) => e.label);
    expect(labels).toContain('Connexion au webmail');
    expect(labels).toContain('Message reçu de Dr House (dr.house@hopital.mssante.fr)');
    expect(labels).toContain('Le document « Ordonnance » classé dans Ordonnances et soins par Dr House (dr.house@hopital.mssante.fr)');
    expect(labels).toContain('Vous avez classé le document « compte-rendu-scanné.pdf » dans Comptes rendus');
    expect(labels).toContain("Vous avez consulté le document « Compte rendu d'hospitalisation »");
    expect(labels).toContain("Le document « Compte rendu d'hospitalisation » a été remplacé par une nouvelle version");
    expect(answer.body.entries[0]).toEqual({
      id: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      actor: expect.any(String),
      action: expect.any(String),
      label: expect.any(String),
      target: expect.toBeOneOf([expect.any(String), null]),
      outcome: expect.any(String),
    });
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain('Document ci-joint');
    expect(text).not.toContain('Envoi 1');
  });

  it('pages by id: each page before the previous one’s next, together the whole history', async () => {
    const whole = (await jeanne.get('/api/activity?limit=100')).body.entries as Array<{ id: number }>;
    expect(whole.length).toBeGreaterThan(10);
    expect(whole.length).toBeLessThan(100);
    const ids = whole.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const paged: number[] = [];
    let url = '/api/activity?limit=4';
    for (;;) {
      const page = await jeanne.get(url);
      expect(page.status).toBe(200);
      const entries = page.body.entries as Array<{ id: number }>;
      expect(entries.length).toBeLessThanOrEqual(4);
      paged.push(...entries.map((e) => e.id));
      if (page.body.next === null) break;
      expect(page.body.next).toBe(entries.at(-1)!.id);
      url = `/api/activity?limit=4&before=${page.body.next}`;
    }
    expect(paged).toEqual(ids);

    const first = (await jeanne.get('/api/activity')).body;
    const second = (await jeanne.get(`/api/activity?before=${ids[2]}`)).body;
    expect(second.entries[0].id).toBe(ids[3]);
    expect(first.entries.map((e: { id: number }) => e.id).slice(3, 6)).toEqual(second.entries.slice(0, 3).map((e: { id: number }) => e.id));
    expect((await jeanne.get('/api/activity?before=abc')).status).toBe(400);
  });
});

describe('GET /api/contacts', () => {
  it('lists the professionals who wrote to the citizen, named from the directory', async () => {
    const answer = await jeanne.get('/api/contacts');
    expect(answer.status).toBe(200);
    expect(answer.body.contacts).toEqual([{ address: DOCTOR, name: 'Dr House', kind: 'PER', pharmacy: false }]);
  });

  it('is empty for a citizen nobody wrote to, and for a professional', async () => {
    expect((await paul.get('/api/contacts')).body).toEqual({ contacts: [] });
    expect((await doctor.get('/api/contacts')).body).toEqual({ contacts: [] });
  });
});

describe('GET /api/directory/pharmacies', () => {
  beforeAll(async () => {
    const add = async (...args: string[]) => expect((await mssgw(world.box, ['directory', 'add', ...args])).code).toBe(0);
    // A local pharmacy mailbox gets its town through the directory; a remote one is added with it.
    await add(PHARMACY, '--type', 'ORG', '--pharmacy', '--town', 'Saint-Étienne');
    await add(REMOTE_PHARMACY, '--type', 'ORG', '--pharmacy', '--town', 'Caluire-et-Cuire');
    await add('eglise@ch-lyon.mssante.fr', '--type', 'ORG', '--pharmacy', '--name', "Pharmacie de l'Église", '--town', 'Villeurbanne');
    for (let i = 1; i <= 21; i++) {
      await store.directory.upsert({ address: `officine${i}@pharma.ch-lyon.mssante.fr`, kind: 'ORG', pharmacy: true, displayName: `Zola officine ${String(i).padStart(2, '0')}`, rpps: null, local: false, town: 'Testville' });
    }
  });

  it('takes the town on the command line, and says what is wrong with one', async () => {
    const shown = await mssgw(world.box, ['directory', 'search', 'caluire', '--pharmacies', '--json']);
    expect(JSON.parse(shown.stdout)).toEqual([expect.objectContaining({ address: REMOTE_PHARMACY, town: 'Caluire-et-Cuire', name: 'Officine de Lyon' })]);
    const bad = await mssgw(world.box, ['directory', 'add', REMOTE_PHARMACY, '--type', 'ORG', '--pharmacy', '--town', '<script>']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--town must be a town name');
    expect((await store.directory.byAddress(REMOTE_PHARMACY))!.town).toBe('Caluire-et-Cuire');
  });

  it('finds pharmacies by town, without accents or hyphens', async () => {
    expect((await jeanne.get('/api/directory/pharmacies?q=caluire')).body.pharmacies).toEqual([{ address: REMOTE_PHARMACY, name: 'Officine de Lyon', town: 'Caluire-et-Cuire' }]);
    expect((await jeanne.get(`/api/directory/pharmacies?q=${encodeURIComponent('caluire et cuire')}`)).body.pharmacies).toHaveLength(1);
    expect((await jeanne.get(`/api/directory/pharmacies?q=${encodeURIComponent('saint etienne')}`)).body.pharmacies).toEqual([
      { address: PHARMACY, name: 'Pharmacie du Centre', town: 'Saint-Étienne' },
    ]);
    expect((await jeanne.get('/api/directory/pharmacies?q=VILLEURBANNE')).body.pharmacies).toEqual([
      { address: 'eglise@ch-lyon.mssante.fr', name: "Pharmacie de l'Église", town: 'Villeurbanne' },
    ]);
  });

  it('finds them by name and address too, pharmacies only', async () => {
    expect((await jeanne.get('/api/directory/pharmacies?q=eglise')).body.pharmacies.map((p: { address: string }) => p.address)).toEqual(['eglise@ch-lyon.mssante.fr']);
    expect((await jeanne.get('/api/directory/pharmacies?q=officine%40ch-lyon')).body.pharmacies.map((p: { address: string }) => p.address)).toEqual([REMOTE_PHARMACY]);
    expect((await jeanne.get('/api/directory/pharmacies?q=lyon')).body.pharmacies.slice(0, 2).map((p: { name: string }) => p.name)).toEqual(['Officine de Lyon', "Pharmacie de l'Église"]);
    expect((await jeanne.get('/api/directory/pharmacies?q=house')).body.pharmacies).toEqual([]);
  });

  it('gives at most 20, and the first 20 alphabetically for less than two characters', async () => {
    expect((await jeanne.get('/api/directory/pharmacies?q=testville')).body.pharmacies).toHaveLength(20);
    for (const q of ['', 'e']) {
      const list = (await jeanne.get(`/api/directory/pharmacies?q=${q}`)).body.pharmacies as Array<{ name: string }>;
      expect(list).toHaveLength(20);
      expect(list.slice(0, 4).map((p) => p.name)).toEqual(['Officine de Lyon', "Pharmacie de l'Église", 'Pharmacie du Centre', 'Zola officine 01']);
    }
    expect((await jeanne.get('/api/directory/pharmacies')).body.pharmacies).toHaveLength(20);
  });
});

describe('scoping: nothing of one citizen through another’s session', () => {
  it('answers every id of Jeanne’s to Paul as an id that does not exist', async () => {
    const missing = (await paul.get('/api/record/documents/999999')).body;
    const ids = query<{ id: number }>('SELECT id FROM record_documents WHERE citizen = ?', JEANNE).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) {
      for (const url of [`/api/record/documents/${id}`, `/api/record/documents/${id}/content`, `/api/record/documents/${id}/content?format=cda`, `/api/record/documents/${id}/content?format=pdf`]) {
        const answer = await paul.get(url);
        expect(answer.status, url).toBe(404);
        expect(answer.body, url).toEqual(missing);
      }
    }
    const missingMessage = (await paul.post('/api/messages/999999/attachments/0/file', { category: 'AUTRES' })).body;
    const messages = query<{ id: number }>(
      'SELECT x.id FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id WHERE m.address = ?',
      JEANNE,
    ).map((r) => r.id);
    expect(messages.length).toBeGreaterThan(5);
    for (const id of messages) {
      const answer = await paul.post(`/api/messages/${id}/attachments/0/file`, { category: 'AUTRES' });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual(missingMessage);
    }
    // Nothing was filed into Paul's record, nor read from Jeanne's on his behalf.
    expect(await documents(paul)).toEqual([]);
    expect(query('SELECT 1 FROM record_documents WHERE citizen = ?', PAUL)).toEqual([]);
    expect(query("SELECT 1 FROM audit WHERE actor = ? AND action LIKE 'record.%'", PAUL)).toEqual([]);
  });

  it('keeps each history to its own mailbox', async () => {
    const entries = (await paul.get('/api/activity?limit=100')).body.entries as Array<{ action: string; actor: string }>;
    expect(entries.map((e) => e.action)).toEqual(['login', 'mailbox.create']);
    expect(JSON.stringify(entries)).not.toContain(JEANNE);
  });

  it('asks for a session on every route', async () => {
    const anonymous = WebClient.forPort(world.server.ports.http);
    for (const url of ['/api/record/categories', '/api/record/documents', '/api/record/documents/1', '/api/record/documents/1/content', '/api/activity', '/api/contacts', '/api/directory/pharmacies?q=lyon']) {
      const answer = await anonymous.get(url);
      expect(answer.status, url).toBe(401);
      expect(answer.body.error.code).toBe('NOT_LOGGED_IN');
    }
    expect((await anonymous.post('/api/messages/1/attachments/0/file', {})).status).toBe(401);
  });
});
