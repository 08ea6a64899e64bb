/**
 * The ANS's published CI-SIS example documents (fixtures/ans, from the TestContenuCDA kits),
 * through the running server: a professional sends each one by SMTP submission (one session for
 * them all, as a mail client would) to the citizen it concerns, bare and packed in an IHE XDM
 * zip; each is accepted with 250 and filed in its Mon espace santé category. The files are the
 * published bytes; fixtures/ans/README.md says where each comes from and whose INS it carries.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXdmAround, INS_NIR_OID } from '../../fixtures/builders.js';
import * as admin from '../../src/admin/provisioning.js';
import { CATEGORY_NAMES, type Category } from '../../src/domain/categories.js';
import { openStore } from '../../src/store/open.js';
import { mssgw, ROOT, type Sandbox } from '../helpers/cli.js';
import { DOCTOR, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const TEST_OID = '1.2.250.1.213.1.4.10';
const LOINC = '2.16.840.1.113883.6.1';
const ANS = '1.2.250.1.213.1.1.4.12';
/** The two patients of the kits whose INS is valid. */
const KIT_TEST_INS = '279035121518989'; // with the test OID .10
const KIT_NIR_INS = '277076322082910'; // with the INS-NIR OID .8

interface Example {
  file: string;
  /** the CI-SIS volet (document model) and what the document is */
  type: string;
  typeCode: string;
  codeSystem: string;
  ins: string;
  insOid: string;
  /** ClinicalDocument/id: every example here has a root and no extension */
  id: string;
  title: string;
  category: Category;
  /** the published INS has a wrong control key: the key corrected (only it) for the filing test */
  fixedIns?: string;
}

const ex = (file: string, type: string, typeCode: string, category: Category, id: string, title: string, more: Partial<Example> = {}): Example => ({
  file,
  type,
  typeCode,
  codeSystem: /^\d/.test(typeCode) ? LOINC : ANS,
  ins: KIT_TEST_INS,
  insOid: TEST_OID,
  id,
  title,
  category,
  ...more,
});
const nir = { ins: KIT_NIR_INS, insOid: INS_NIR_OID };

const EXAMPLES: Example[] = [
  ex('ANEST-CR-CPA_2022.01.xml', 'ANEST-CR-CPA, CR de consultation pré-anesthésique', '34749-2', 'COMPTES_RENDUS', '1.2.250.1.213.1.1.1.41.2022.1.1', 'CR de consultation pré-anesthésique'),
  ex('ANEST-CR-ANEST_2022.01.xml', "ANEST-CR-ANEST, CR d'anesthésie", '77436-4', 'COMPTES_RENDUS', '1.2.250.1.213.1.1.1.40.2022.1.1', "Compte rendu d'anesthésie"),
  ex('AVC-SUNV_2022.01.xml', "AVC-SUNV, synthèse de sortie d'unité neuro-vasculaire", '34133-9', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.17.2022.1.1', "Fiche de sortie d'unité neuro-vasculaire"),
  ex('AVC-PAVC_2022.01.xml', 'AVC-PAVC, CR de consultation post-AVC', '11488-4', 'COMPTES_RENDUS', '1.2.250.1.213.1.1.1.25.2022.1.1', "Compte-rendu de consultation d'évaluation pluri-professionnelle post AVC"),
  ex('BIO-CR-BIO_2024.01_Microbiologie_V2.xml', "BIO-CR-BIO, CR d'examens de biologie médicale", '11502-2', 'BIOLOGIE', '1.2.250.1.213.1.1.1.55.2024.8.2', "Compte rendu d'examens biologiques"),
  ex('BIO-TROD_2024.01_Angine.xml', "BIO-TROD, test rapide d'orientation diagnostique", '96173-0', 'BIOLOGIE', '1.2.250.1.213.1.1.1.59.2024.1.1', "Test rapide d'orientation diagnostique : TROD Angine"),
  ex('CANCER-CR-GM_2022.01_AnalyseNonRealisee.xml', 'CANCER-CR-GM, CR de génétique moléculaire', '51969-4', 'BIOLOGIE', '1.2.250.1.213.1.1.1.32.2022.1.1', 'Compte-rendu de génétique moléculaire (CR-GM)'),
  ex('CANCER-FRCP_2022.01_Transversale.xml', 'CANCER-FRCP, fiche de réunion de concertation pluridisciplinaire', '34794-8', 'COMPTES_RENDUS', '1.2.250.1.213.1.1.1.8.2022.2.1', 'FRCP ONCO PAYS DE LA LOIRE / 3C CHU Angers / Soins de support'),
  ex('CNAM-HR_2021.01_sans-info.xml', 'CNAM-HR, historique des remboursements (ANS code REMB)', 'REMB', 'ADMINISTRATIF', '1.2.250.1.213.1.1.1.36.2021.2.1', 'Données de remboursement'),
  ex('CSE-CS9_2025.01.xml', "CSE-CS9, certificat de santé de l'enfant du 9e mois (ANS code CERT_DECL)", 'CERT_DECL', 'CERTIFICATS', '1.2.250.1.213.1.1.1.5.2.12345.2', 'Deuxième certificat de santé (à établir obligatoirement au cours du 9ème mois)', { ins: '221042545611404', fixedIns: '221042545611483' }),
  ex('CSE-MDE_2023.01.xml', "CSE-MDE, mesures de l'enfant", '29274-8', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.5.2023.1.1', "Carnet de santé de l'enfant - Mesures de l'enfant", { ins: '222127505611201', insOid: INS_NIR_OID, fixedIns: '222127505611247' }),
  ex('DLU-EHPAD-FLUDT_2022.01.xml', "DLU-EHPAD-FLUDT, document de liaison d'urgence", '74207-2', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.23.2022.1.1', "FICHE DE LIAISON D'URGENCE/DOCUMENT DE TRANSFERT DE L'EHPAD VERS LE SERVICE DES URGENCES"),
  ex('IMG-DA-IMG_2024.01_Radiographie_IRM_Genou.xml', "IMG-DA-IMG, demande d'actes d'imagerie", '55115-0', 'ORDONNANCES_SOINS', '1.2.250.1.213.1.1.1.47.2024.4.1', "Demande d'acte d'imagerie"),
  ex('IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml', "IMG-CR-IMG, CR d'imagerie médicale (level 1, PDF)", '18748-4', 'IMAGERIE', '1.2.250.1.213.1.1.1.45.2024.2.1', 'CR d’imagerie médicale - Scanner Tête + Cou + Thorax avec injection'),
  ex('IPS-FR_2024.01.xml', 'IPS-FR, synthèse médicale (patient summary)', '60591-5', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.51.2024.1.1', 'SYNTHESE MEDICALE'),
  ex('LDL-EES_2022.01.xml', "LDL-EES, lettre de liaison à l'entrée en établissement", '18761-7', 'COMPTES_RENDUS', '1.2.250.1.213.1.1.1.21.2022.1.1', "Lettre de liaison à l'entrée en établissement de santé"),
  ex('LDL-SES_2022.01.xml', "LDL-SES, lettre de liaison à la sortie d'établissement", '11490-0', 'COMPTES_RENDUS', '1.2.250.1.213.1.1.1.29.2022.1.1', "Lettre de liaison à la sortie de l'établissement de santé"),
  ex('OBP-SAP_2024.01.xml', 'OBP-SAP, synthèse antepartum', '57055-6', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.12.1.2024.1.1', 'Synthèse antepartum', nir),
  ex('OBP-SNM_2024.01.xml', 'OBP-SNM, synthèse salle de naissance mère', '57057-2', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.12.2.2024.1.1', 'Synthèse Salle de Naissance Mère', nir),
  ex('OBP-SNE_2024.01.xml', 'OBP-SNE, synthèse salle de naissance enfant', '57075-4', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.12.3.2024.1.1', 'Synthèse Salle de Naissance Enfant', { ins: '223042545611404', insOid: INS_NIR_OID, fixedIns: '223042545611482' }),
  ex('OBP-SCM_2024.01.xml', 'OBP-SCM, synthèse suites de couches mère', '89235-6', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.12.4.2024.1.1', 'Synthèse Suites de Couches Mère', nir),
  ex('OBP-SEM_2024.01.xml', 'OBP-SEM, synthèse enfant en maternité', '78489-2', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.12.5.2024.1.1', 'Synthèse Enfant en Maternité', { ins: '223042545611404', insOid: INS_NIR_OID, fixedIns: '223042545611482' }),
  ex('OBP-SNM_2021.01.xml', "OBP 2021 (kit 2.41), CR d'accouchement", '15508-5', 'COMPTES_RENDUS', 'D01E3167-0139-4D39-AB1D-CA2BA4C669BB', 'Synthèse Suites de Couches Mère', nir),
  ex('OPH-BRE_2022.02.xml', 'OPH-BRE, bilan de réfraction (CR de consultation en ophtalmologie)', '78513-9', 'COMPTES_RENDUS', '1.2.250.1.213.1.1.1.42.2022.1.1', 'Ophtalmologie - Bilan de réfraction'),
  ex('PPS-PAERPA_2021.01.xml', 'PPS-PAERPA (kit 2.41), plan personnalisé de santé', '18776-5', 'ORDONNANCES_SOINS', '55A38EBB-53F6-4A96-93BE-FE92A9C6E8CC', 'Plan personnalisé de santé', nir),
  ex('TLM-CR_2022.01.xml', 'TLM-CR, CR de télémédecine (level 1, PDF)', '85208-7', 'COMPTES_RENDUS', '1.3.6.1.4.1.19376.1.2.20.2022.1.1', 'Compte-rendu de téléconsultation'),
  ex('TLM-DA_2022.01_TCG.xml', "TLM-DA, demande d'acte de télémédecine", '75496-0', 'COMPTES_RENDUS', '1.2.250.1.213.1.1.1.38.2022.1.1', 'Demande de téléconsultation'),
  ex('VAC-NOTE_2023.01.xml', 'VAC-NOTE, note de vaccination', '87273-9', 'VACCINATIONS', '1.2.250.1.213.1.1.1.46.2023.1.1', 'NOTE DE VACCINATION'),
  ex('VAC_2023.01.xml', 'VAC, historique des vaccinations', '11369-6', 'VACCINATIONS', '1.2.250.1.213.1.1.1.37.2023.1.1', 'Historique de vaccinations'),
  ex('VSM_1.4_2022.01.xml', 'VSM, volet de synthèse médicale (ANS code SYNTH)', 'SYNTH', 'SANTE_RESUME', '1.2.250.1.213.1.1.1.13.2022.1.1', 'Synthèse Médicale'),
  ex('eDISP-MED_2024.01.xml', 'eDISP-MED, dispensation médicamenteuse', '60593-1', 'ORDONNANCES_SOINS', '1.2.250.1.213.1.1.1.54.2024.1.1', 'Dispensation médicamenteuse', nir),
  ex('eP-MED-DM_2022.01_PosoNonStruct.xml', 'eP-MED-DM, prescription de médicaments et dispositifs médicaux', '57833-6', 'ORDONNANCES_SOINS', '1.2.250.1.213.1.1.1.39.2022.1.1', 'Prescription de médicaments et/ou de dispositifs médicaux'),
];

const published = (e: Example) => readFileSync(path.join(ROOT, 'fixtures/ans', e.file));
/** The document as sent in the filing tests: as published, or with only its INS key corrected. */
const sendable = (e: Example) => (e.fixedIns ? Buffer.from(published(e).toString('utf8').replaceAll(e.ins, e.fixedIns), 'utf8') : published(e));
const recipientIns = (e: Example) => e.fixedIns ?? e.ins;
const idRoot = (id: string) => ({ root: id });

async function attachment(e: Example, packing: 'bare' | 'XDM') {
  const content = sendable(e);
  if (packing === 'bare') return { filename: e.file, content, contentType: 'text/xml' };
  const facts = { ins: recipientIns(e), insOid: e.insOid, typeCode: e.typeCode, typeCodeSystem: e.codeSystem, title: e.title, id: idRoot(e.id) };
  return { filename: 'IHE_XDM.ZIP', content: await buildXdmAround(content, facts), contentType: 'application/zip' };
}

interface Filed {
  document_id: string;
  category: string;
  title: string;
  type_code: string;
  status: string;
}

/** The citizens the examples concern, provisioned as the CLI would (in-process), server running. */
async function provisionCitizens(box: Sandbox): Promise<void> {
  const store = openStore(box.dataDir);
  try {
    const p = { store, citizenDomain: 'patient.mssante.fr', actor: 'test' };
    for (const ins of new Set(EXAMPLES.map(recipientIns))) await admin.addPatient(p, ins, {});
  } finally {
    await store.close();
  }
}

describe.each(['bare', 'XDM'] as const)('ANS example documents, %s, from a professional to the citizen they concern', (packing) => {
  // A server per packing: both file the same document ids, which one server would file once.
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ trust: { acceptTestInsOids: true } });
    await provisionCitizens(world.box);
  });
  afterAll(async () => {
    await world?.stop();
  });

  function filed(e: Example): Filed | undefined {
    const db = world.db();
    try {
      return db
        .prepare('SELECT document_id, category, title, type_code, status FROM record_documents WHERE citizen = ? AND document_id = ?')
        .get(citizen(recipientIns(e)), e.id) as Filed | undefined;
    } finally {
      db.close();
    }
  }

  it.each(EXAMPLES.map((e) => ({ ...e, categoryName: CATEGORY_NAMES[e.category] })))(
    '$type ($typeCode) → 250, filed in $categoryName',
    async (e) => {
      const result = await trySend(world.session(), {
        from: DOCTOR,
        to: citizen(recipientIns(e)),
        subject: `Document ${e.file}`,
        text: 'Veuillez trouver le document ci-joint.',
        attachments: [await attachment(e, packing)],
      });
      expect(result.response).toMatch(/^250 /);
      expect(filed(e)).toEqual({ document_id: e.id, category: e.category, title: e.title, type_code: e.typeCode, status: 'current' });
    },
  );

  it.each(EXAMPLES.filter((e) => e.fixedIns))('$file as published (INS $ins, wrong control key) → 554 5.6.0 [CDA_INS]', async (e) => {
    const content = published(e);
    const sent =
      packing === 'bare'
        ? { filename: e.file, content, contentType: 'text/xml' }
        : {
            filename: 'IHE_XDM.ZIP',
            contentType: 'application/zip',
            content: await buildXdmAround(content, { ins: e.ins, insOid: e.insOid, typeCode: e.typeCode, typeCodeSystem: e.codeSystem, title: e.title, id: idRoot(e.id) }),
          };
    const result = await trySend(world.session(), { from: DOCTOR, to: citizen(recipientIns(e)), subject: `As published ${e.file}`, text: 'Ci-joint.', attachments: [sent] });
    expect(result.response).toMatch(/^554 5\.6\.0 /);
    expect(result.response).toContain(`the CDA patient's INS is invalid: invalid INS "${e.ins}": the control key does not match the number`);
    expect(result.response).toContain('[CDA_INS]');
  });

  it("lists every example in its citizen's record (record list --json), once, in its category", async () => {
    for (const ins of new Set(EXAMPLES.map(recipientIns))) {
      const listed = await mssgw(world.box, ['record', 'list', ins, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const documents = JSON.parse(listed.stdout) as { id: string; category: string; typeCode: string; categoryName: string }[];
      const expected = EXAMPLES.filter((e) => recipientIns(e) === ins);
      expect(documents.map((d) => d.id).sort(), ins).toEqual(expected.map((e) => e.id).sort());
      for (const e of expected) {
        expect(documents.find((d) => d.id === e.id), e.file).toMatchObject({ category: e.category, categoryName: CATEGORY_NAMES[e.category], typeCode: e.typeCode });
      }
    }
  });
});
