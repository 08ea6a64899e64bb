/**
 * The document type codes of the CI-SIS: the value set JDV_J07-XdsTypeCode-CISIS of the ANS
 * (OID 1.2.250.1.213.1.1.5.471), version 20260629120000 (2026-06-29) as published in the ANS's
 * "Terminologies de Santé" guide 1.12.0 (https://mos.esante.gouv.fr/NOS/JDV_J07-XdsTypeCode-CISIS).
 * All 123 concepts: 35 from TRE_A05-TypeDocComplementaire (the ANS's code system
 * 1.2.250.1.213.1.1.4.12), 87 from LOINC, 1 from TRE_A12-NomenclatureASTM. The TestContenuCDA-3-0
 * kit carries the 2024-09-27 version (114 concepts); the 2026 one adds nine LOINC codes.
 * A CDA's ClinicalDocument/code must be one (code, codeSystem) pair of this list.
 *
 * The Mon espace santé category of each code: the national table is not published, so this one
 * starts from the CI-SIS class of each type (ASS_X04-CorrespondanceType-Classe-CISIS, 2024-02-23:
 * 10 compte rendu, 11 synthèse, 31 imagerie, 42 prescription, 43 dispensation, 44 plan de soins,
 * 45 traitement administré, 52 certificat, 60 remboursement, 90 documents du patient, 95 gestion)
 * and from DOCPAT01–09, the codes Mon espace santé gives the citizen's own uploads, one a category.
 * Where a code leaves its class's usual category, the line says why.
 */

/** The record's categories, in the order the record lists them (their names: categories.ts). */
export const CATEGORIES = [
  'SANTE_RESUME',
  'ORDONNANCES_SOINS',
  'IMAGERIE',
  'BIOLOGIE',
  'COMPTES_RENDUS',
  'PREVENTION',
  'CERTIFICATS',
  'ADMINISTRATIF',
  'VACCINATIONS',
  'AUTRES',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const LOINC_SYSTEM = '2.16.840.1.113883.6.1';
/** TRE_A05-TypeDocComplementaire: the ANS's own document types (SYNTH, REMB, PRESC-BIO…). */
export const ANS_TYPE_CODE_SYSTEM = '1.2.250.1.213.1.1.4.12';
/** TRE_A12-NomenclatureASTM, written "ASTM" in the value set. */
export const ASTM_SYSTEM = 'ASTM';

export interface TypeCode {
  readonly code: string;
  readonly codeSystem: string;
  /** the value set's French display name */
  readonly displayName: string;
  readonly category: Category;
  /**
   * A prescription a pharmacy may fill: medicines and health products, care and nursing
   * prescriptions (dressings, devices, supplies), a renewal: what rule 6 lets a citizen send to
   * a pharmacy without prior contact. Laboratory, physiotherapy, imaging and sick-leave
   * prescriptions are "Ordonnances et soins" too, but they are for other professionals.
   */
  readonly prescription?: true;
}

const ANS = ANS_TYPE_CODE_SYSTEM;
const LOINC = LOINC_SYSTEM;

export const TYPE_CODES: readonly TypeCode[] = [
  // TRE_A05-TypeDocComplementaire
  { code: 'ATTEST-ASS-COMPL', codeSystem: ANS, displayName: 'Attestation assurance complémentaire', category: 'ADMINISTRATIF' },
  { code: 'ATTEST-RESID', codeSystem: ANS, displayName: 'Attestation de résidence', category: 'ADMINISTRATIF' },
  { code: 'ATTEST-HEBGT', codeSystem: ANS, displayName: "Attestation d'hébergement", category: 'ADMINISTRATIF' },
  { code: 'ATTEST-DROITS-AM', codeSystem: ANS, displayName: "Attestation de droits à l'assurance maladie", category: 'ADMINISTRATIF' },
  { code: 'AUTORIS-SOINS', codeSystem: ANS, displayName: 'Autorisation de soins et actes non usuels sanitaires', category: 'ADMINISTRATIF' },
  { code: 'BIL_AUTO', codeSystem: ANS, displayName: "CR de bilan d'évaluation de la perte d'autonomie", category: 'COMPTES_RENDUS' },
  { code: 'CERT_DECL', codeSystem: ANS, displayName: 'Certificat, déclaration', category: 'CERTIFICATS' },
  { code: 'DISP_AUT', codeSystem: ANS, displayName: 'Dispensation (autre)', category: 'ORDONNANCES_SOINS' },
  // Class 90, the patient's own expression: not a care document of any other category.
  { code: 'EXPPAT_1', codeSystem: ANS, displayName: 'Volontés et droits du patient', category: 'AUTRES' },
  { code: 'EXPPAT_2', codeSystem: ANS, displayName: 'Autre document du patient', category: 'AUTRES' },
  { code: 'EXPPAT_3', codeSystem: ANS, displayName: 'Directives anticipées', category: 'AUTRES' },
  { code: 'IMG-KOS', codeSystem: ANS, displayName: "Reference d'objets d'un examen d'imagerie", category: 'IMAGERIE' },
  { code: 'PROT_ALD', codeSystem: ANS, displayName: 'Protocole de soins ALD', category: 'ORDONNANCES_SOINS' },
  { code: 'REMB', codeSystem: ANS, displayName: 'Données de remboursement', category: 'ADMINISTRATIF' },
  { code: 'SYNTH', codeSystem: ANS, displayName: 'Synthèse', category: 'SANTE_RESUME' },
  { code: 'DOCPAT01', codeSystem: ANS, displayName: 'Synthèse déposée par le patient', category: 'SANTE_RESUME' },
  // The citizen's own copy of a prescription or treatment: what rule 6 takes from the record too.
  { code: 'DOCPAT02', codeSystem: ANS, displayName: 'Traitement ou document de soins déposé par le patient', category: 'ORDONNANCES_SOINS', prescription: true },
  { code: 'DOCPAT03', codeSystem: ANS, displayName: 'CR déposé par le patient', category: 'COMPTES_RENDUS' },
  { code: 'DOCPAT04', codeSystem: ANS, displayName: 'Imagerie déposée par le patient', category: 'IMAGERIE' },
  { code: 'DOCPAT05', codeSystem: ANS, displayName: 'CR de biologie déposé par le patient', category: 'BIOLOGIE' },
  { code: 'DOCPAT06', codeSystem: ANS, displayName: 'CR de prévention déposé par le patient', category: 'PREVENTION' },
  { code: 'DOCPAT07', codeSystem: ANS, displayName: 'Certificat déposé par le patient', category: 'CERTIFICATS' },
  { code: 'DOCPAT08', codeSystem: ANS, displayName: 'Profil médical Mon espace santé', category: 'SANTE_RESUME' },
  { code: 'DOCPAT09', codeSystem: ANS, displayName: 'Document administratif déposé par le patient', category: 'ADMINISTRATIF' },
  { code: 'PIECE-IDENTITE', codeSystem: ANS, displayName: "Copie pièce d'identité", category: 'ADMINISTRATIF' },
  { code: 'PRESC-AAT', codeSystem: ANS, displayName: 'Prescription arrêt de travail', category: 'ORDONNANCES_SOINS' },
  { code: 'PRESC-BIO', codeSystem: ANS, displayName: "Prescription d'actes de biologie médicale", category: 'ORDONNANCES_SOINS' },
  { code: 'PRESC-KINE', codeSystem: ANS, displayName: "Prescription d'actes de kinésithérapie", category: 'ORDONNANCES_SOINS' },
  { code: 'PRESC-INF', codeSystem: ANS, displayName: "Prescription d'actes infirmiers", category: 'ORDONNANCES_SOINS', prescription: true },
  { code: 'PRESC-PEDI', codeSystem: ANS, displayName: "Prescription d'actes de pédicurie", category: 'ORDONNANCES_SOINS' },
  { code: 'PRESC-ORTHOPHO', codeSystem: ANS, displayName: "Prescription d'actes d'orthophonie", category: 'ORDONNANCES_SOINS' },
  { code: 'PRESC-ORTHOPTIE', codeSystem: ANS, displayName: "Prescription d'actes d'orthoptie", category: 'ORDONNANCES_SOINS' },
  // A style sheet travelling with a document (class 99): nothing of the patient's health.
  { code: 'FEUILLE-DE-STYLE', codeSystem: ANS, displayName: 'Feuille de style', category: 'AUTRES' },
  { code: 'FICHE-CONTACTS', codeSystem: ANS, displayName: 'Fiche contacts', category: 'ADMINISTRATIF' },
  { code: 'EXPORT_DUI', codeSystem: ANS, displayName: 'Export du Dossier Usager Informatisé', category: 'SANTE_RESUME' },

  // LOINC
  { code: '11369-6', codeSystem: LOINC, displayName: 'Historique des vaccinations', category: 'VACCINATIONS' },
  { code: '11488-4', codeSystem: LOINC, displayName: 'CR ou fiche de consultation ou de visite', category: 'COMPTES_RENDUS' },
  { code: '11490-0', codeSystem: LOINC, displayName: "Lettre de liaison à la sortie d'un établissement de soins", category: 'COMPTES_RENDUS' },
  { code: '11502-2', codeSystem: LOINC, displayName: "CR d'examens biologiques", category: 'BIOLOGIE' },
  { code: '11505-5', codeSystem: LOINC, displayName: "CR d'acte thérapeutique (autre)", category: 'COMPTES_RENDUS' },
  { code: '11506-3', codeSystem: LOINC, displayName: 'CR ou fiche de suivi de soins par auxiliaire médical', category: 'COMPTES_RENDUS' },
  { code: '15507-7', codeSystem: LOINC, displayName: 'CR de passage aux urgences', category: 'COMPTES_RENDUS' },
  { code: '15508-5', codeSystem: LOINC, displayName: "CR d'accouchement", category: 'COMPTES_RENDUS' },
  { code: '18776-5', codeSystem: LOINC, displayName: 'Plan personnalisé de soins', category: 'ORDONNANCES_SOINS' },
  { code: '18748-4', codeSystem: LOINC, displayName: "CR d'imagerie médicale", category: 'IMAGERIE' },
  // Class 11, but a letter between carers like the discharge letter, not a summary of health.
  { code: '18761-7', codeSystem: LOINC, displayName: "Note de transfert (dont lettre de liaison à l'entrée en établissement de soins)", category: 'COMPTES_RENDUS' },
  // The national oral check-up (M'T dents) is a prevention programme.
  { code: '28617-9', codeSystem: LOINC, displayName: 'Bilan bucco-dentaire', category: 'PREVENTION' },
  { code: '28653-4', codeSystem: LOINC, displayName: 'Document du secteur social / médico-social', category: 'COMPTES_RENDUS' },
  // Measurements (the child's growth, CSE-MDE) feed the health profile, not a report.
  { code: '29274-8', codeSystem: LOINC, displayName: 'Mesures de signes vitaux', category: 'SANTE_RESUME' },
  { code: '34112-3', codeSystem: LOINC, displayName: 'CR hospitalier (séjour)', category: 'COMPTES_RENDUS' },
  { code: '34120-6', codeSystem: LOINC, displayName: 'Bilan par professionnel de santé', category: 'COMPTES_RENDUS' },
  { code: '34133-9', codeSystem: LOINC, displayName: "Synthèse d'épisode de soins", category: 'SANTE_RESUME' },
  { code: '34749-2', codeSystem: LOINC, displayName: 'CR de consultation pré-anesthésique', category: 'COMPTES_RENDUS' },
  { code: '34794-8', codeSystem: LOINC, displayName: 'CR de réunion de concertation pluridisciplinaire', category: 'COMPTES_RENDUS' },
  { code: '34842-5', codeSystem: LOINC, displayName: "Grille d'évaluation médico-social", category: 'SANTE_RESUME' },
  { code: '34874-8', codeSystem: LOINC, displayName: 'CR opératoire', category: 'COMPTES_RENDUS' },
  { code: '34875-5', codeSystem: LOINC, displayName: 'Évaluation postopératoire et note de suivi', category: 'COMPTES_RENDUS' },
  { code: '34876-3', codeSystem: LOINC, displayName: 'Évaluation préopératoire et note de suivi', category: 'COMPTES_RENDUS' },
  // A leaflet informing the patient: about care in general, not a record of theirs.
  { code: '34895-3', codeSystem: LOINC, displayName: "Fiche d'information au patient", category: 'AUTRES' },
  { code: '47420-5', codeSystem: LOINC, displayName: 'CR de bilan fonctionnel', category: 'COMPTES_RENDUS' },
  { code: '51851-4', codeSystem: LOINC, displayName: 'Document administratif', category: 'ADMINISTRATIF' },
  // Class 10, but a laboratory analysis: the citizen looks for it with the other results.
  { code: '51969-4', codeSystem: LOINC, displayName: 'CR de génétique moléculaire', category: 'BIOLOGIE' },
  { code: '52040-3', codeSystem: LOINC, displayName: "Document encapsulant une image d'illustration non DICOM", category: 'IMAGERIE' },
  // Class 42: the request is the imaging prescription the patient takes to the imaging centre;
  // "Radio, écho, scanner, IRM" holds what comes back (reports, images).
  { code: '55115-0', codeSystem: LOINC, displayName: "Demande d'actes d'imagerie", category: 'ORDONNANCES_SOINS' },
  { code: '55751-2', codeSystem: LOINC, displayName: 'Déclaration de problème de santé publique', category: 'CERTIFICATS' },
  { code: '56445-0', codeSystem: LOINC, displayName: 'Bilan médicamenteux (Officine)', category: 'SANTE_RESUME' },
  { code: '56446-8', codeSystem: LOINC, displayName: 'Notification de rendez-vous', category: 'ADMINISTRATIF' },
  { code: '57055-6', codeSystem: LOINC, displayName: 'Synthèse antepartum', category: 'SANTE_RESUME' },
  { code: '57057-2', codeSystem: LOINC, displayName: 'Synthèse Salle de Naissance Mère', category: 'SANTE_RESUME' },
  { code: '57075-4', codeSystem: LOINC, displayName: 'Synthèse Salle de Naissance Enfant', category: 'SANTE_RESUME' },
  { code: '57828-6', codeSystem: LOINC, displayName: 'Prescription (autre)', category: 'ORDONNANCES_SOINS', prescription: true },
  { code: '57832-8', codeSystem: LOINC, displayName: 'Prescription de soins', category: 'ORDONNANCES_SOINS', prescription: true },
  { code: '57833-6', codeSystem: LOINC, displayName: 'Prescription de produits de santé', category: 'ORDONNANCES_SOINS', prescription: true },
  // Class 10, but the mandatory check-ups of the child are prevention (as 68817-6).
  { code: '59283-2', codeSystem: LOINC, displayName: "CR d'examen de l'enfant", category: 'PREVENTION' },
  { code: '59284-0', codeSystem: LOINC, displayName: 'Attestation de consentement', category: 'ADMINISTRATIF' },
  { code: '60280-5', codeSystem: LOINC, displayName: 'Fiche de retour du service des urgences', category: 'COMPTES_RENDUS' },
  { code: '60568-3', codeSystem: LOINC, displayName: "CR d'anatomie et de cytologie pathologiques", category: 'COMPTES_RENDUS' },
  { code: '60591-5', codeSystem: LOINC, displayName: 'Synthèse médicale', category: 'SANTE_RESUME' },
  { code: '60593-1', codeSystem: LOINC, displayName: 'Dispensation médicamenteuse', category: 'ORDONNANCES_SOINS' },
  { code: '61357-0', codeSystem: LOINC, displayName: 'Intervention pharmaceutique', category: 'ORDONNANCES_SOINS' },
  { code: '67851-6', codeSystem: LOINC, displayName: "CR d'admission", category: 'COMPTES_RENDUS' },
  { code: '68599-0', codeSystem: LOINC, displayName: 'Synthèse psychiatrique', category: 'SANTE_RESUME' },
  { code: '68814-3', codeSystem: LOINC, displayName: "Note d'évaluation pédiatrique", category: 'COMPTES_RENDUS' },
  // Class 11, but its name says it: the child's health and prevention check-up.
  { code: '68817-6', codeSystem: LOINC, displayName: "Bilan de santé et de prévention de l'enfant", category: 'PREVENTION' },
  { code: '70004-7', codeSystem: LOINC, displayName: "CR d'acte diagnostique (autre)", category: 'COMPTES_RENDUS' },
  { code: '78341-5', codeSystem: LOINC, displayName: 'Fiche de transfert vers le service des urgences', category: 'COMPTES_RENDUS' },
  { code: '74207-2', codeSystem: LOINC, displayName: "Document de liaison d'urgence", category: 'SANTE_RESUME' },
  { code: '74465-6', codeSystem: LOINC, displayName: 'Questionnaire patient', category: 'AUTRES' },
  { code: '75468-9', codeSystem: LOINC, displayName: 'Renouvellement ordonnance par pharmacien correspondant', category: 'ORDONNANCES_SOINS', prescription: true },
  { code: '75482-0', codeSystem: LOINC, displayName: "CR d'acte thérapeutique à visée préventive", category: 'PREVENTION' },
  { code: '75492-9', codeSystem: LOINC, displayName: "CR d'acte diagnostique à visée préventive ou de dépistage", category: 'PREVENTION' },
  // Class 10: a request for another doctor's opinion carries the case, as an addressing letter.
  { code: '75496-0', codeSystem: LOINC, displayName: "Demande d'acte de télémédecine", category: 'COMPTES_RENDUS' },
  { code: '77436-4', codeSystem: LOINC, displayName: "CR d'anesthésie", category: 'COMPTES_RENDUS' },
  { code: '77604-7', codeSystem: LOINC, displayName: 'Planification thérapeutique', category: 'ORDONNANCES_SOINS' },
  { code: '78489-2', codeSystem: LOINC, displayName: 'Synthèse Enfant en Maternité', category: 'SANTE_RESUME' },
  { code: '78513-9', codeSystem: LOINC, displayName: 'CR de consultation en ophtalmologie', category: 'COMPTES_RENDUS' },
  { code: '78601-2', codeSystem: LOINC, displayName: "CR d'entretien pharmaceutique", category: 'COMPTES_RENDUS' },
  { code: '80565-5', codeSystem: LOINC, displayName: "CR d'administration de médicaments", category: 'ORDONNANCES_SOINS' },
  { code: '80771-9', codeSystem: LOINC, displayName: "Projet d'accueil individualisé", category: 'ORDONNANCES_SOINS' },
  { code: '80788-3', codeSystem: LOINC, displayName: "Projet personnalisé d'accompagnement", category: 'ORDONNANCES_SOINS' },
  { code: '80820-4', codeSystem: LOINC, displayName: 'Formulaire de conciliation médicamenteuse (Hôpital)', category: 'SANTE_RESUME' },
  { code: '83836-7', codeSystem: LOINC, displayName: 'Schéma dentaire', category: 'SANTE_RESUME' },
  { code: '83869-8', codeSystem: LOINC, displayName: 'Plan personnalisé de prévention', category: 'PREVENTION' },
  // Class 11, but a psychologist's assessment reads as a report, as the other "bilans" do.
  { code: '83901-9', codeSystem: LOINC, displayName: 'Bilan psychologique', category: 'COMPTES_RENDUS' },
  { code: '83963-9', codeSystem: LOINC, displayName: 'Synthèse environnementale', category: 'SANTE_RESUME' },
  { code: '83981-1', codeSystem: LOINC, displayName: "Lettre de liaison à la sortie d'une structure sociale ou médico-sociale", category: 'COMPTES_RENDUS' },
  { code: '84067-8', codeSystem: LOINC, displayName: 'Synthèse transfusionnelle', category: 'SANTE_RESUME' },
  { code: '85208-7', codeSystem: LOINC, displayName: 'CR de télémédecine', category: 'COMPTES_RENDUS' },
  { code: '86531-1', codeSystem: LOINC, displayName: 'Attestation de sortie', category: 'ADMINISTRATIF' },
  { code: '87273-9', codeSystem: LOINC, displayName: 'Note de vaccination', category: 'VACCINATIONS' },
  // Class 11, but a letter between carers (as 18761-7).
  { code: '88348-8', codeSystem: LOINC, displayName: "Lettre de liaison d'entrée en structure sociale ou médico-sociale", category: 'COMPTES_RENDUS' },
  { code: '89233-1', codeSystem: LOINC, displayName: 'CR de grossesse', category: 'COMPTES_RENDUS' },
  { code: '89235-6', codeSystem: LOINC, displayName: 'Synthèse Suites de Couches Mère', category: 'SANTE_RESUME' },
  { code: '89601-9', codeSystem: LOINC, displayName: 'Certificat médical', category: 'CERTIFICATS' },
  { code: '93024-8', codeSystem: LOINC, displayName: 'CR de consultation pharmaceutique', category: 'COMPTES_RENDUS' },
  { code: '96163-1', codeSystem: LOINC, displayName: 'Bilan de soins infirmiers', category: 'COMPTES_RENDUS' },
  // Class 52, but a test result (strep throat, COVID-19, cystitis…): with the biology results.
  { code: '96173-0', codeSystem: LOINC, displayName: "Test rapide d'orientation diagnostique", category: 'BIOLOGIE' },
  { code: '96349-6', codeSystem: LOINC, displayName: "Lettre d'adressage", category: 'COMPTES_RENDUS' },
  // Class 52, but it records a vaccination: with the vaccination notes.
  { code: '96874-3', codeSystem: LOINC, displayName: 'COVID-19 Attestation de vaccination', category: 'VACCINATIONS' },
  { code: '97694-4', codeSystem: LOINC, displayName: "Note d'évaluation en médecine maternelle et fœtale", category: 'COMPTES_RENDUS' },
  { code: '100967-9', codeSystem: LOINC, displayName: 'Rythme cardiaque fœtal', category: 'COMPTES_RENDUS' },
  // What is implanted in the patient is a lasting fact of their health summary.
  { code: '101881-1', codeSystem: LOINC, displayName: "Carte d'implant", category: 'SANTE_RESUME' },

  // TRE_A12-NomenclatureASTM: the type of an IHE DSG signature document, not of a health document.
  { code: 'E1762', codeSystem: ASTM_SYSTEM, displayName: 'Full Document', category: 'AUTRES' },
];

const BY_PAIR: ReadonlyMap<string, TypeCode> = new Map(TYPE_CODES.map((t) => [`${t.codeSystem}|${t.code}`, t] as const));

/** The value set's entry for this (code, code system) pair; undefined when the pair is not in it. */
export function typeCodeOf(code: string, codeSystem: string): TypeCode | undefined {
  return BY_PAIR.get(`${codeSystem.trim()}|${code.trim()}`);
}

/** Every entry with this code, whatever its code system: to say which system a code belongs to. */
export function typeCodesNamed(code: string): TypeCode[] {
  const wanted = code.trim();
  return TYPE_CODES.filter((t) => t.code === wanted);
}
