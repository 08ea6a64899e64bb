/**
 * Where a health document goes in the citizen's record (the Mon espace santé categories), from
 * its CDA type code. The national table is not public: this one follows the CI-SIS class of each
 * code, and any code it does not know goes to "Autres documents".
 */

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

/** The names the citizen sees, in the order the record lists them. */
export const CATEGORY_NAMES: Readonly<Record<Category, string>> = {
  SANTE_RESUME: 'Ma santé en résumé',
  ORDONNANCES_SOINS: 'Ordonnances et soins',
  IMAGERIE: 'Radio, écho, scanner, IRM',
  BIOLOGIE: 'Résultats de biologie',
  COMPTES_RENDUS: 'Comptes rendus',
  PREVENTION: 'Prévention et dépistage',
  CERTIFICATS: 'Certificats médicaux',
  ADMINISTRATIF: 'Pièces administratives',
  VACCINATIONS: 'Vaccinations',
  AUTRES: 'Autres documents',
};

/** Prescriptions and care protocols: also what the pharmacy rule accepts as a prescription. */
const PRESCRIPTION_CODES = [
  '57833-6', // prescription de produits de santé
  '57832-8', // prescription d'examens
  '57828-6', // prescription(s)
  'PRESC-BIO',
  'PRESC-KINE',
  'PRESC-INF',
  '60593-1', // dispensation de médicaments
  '18776-5', // plan de soins
  'PROT_ALD', // protocole de soins ALD
] as const;

const TABLE: ReadonlyArray<readonly [Category, readonly string[]]> = [
  ['ORDONNANCES_SOINS', PRESCRIPTION_CODES],
  ['BIOLOGIE', ['11502-2']],
  ['IMAGERIE', ['18748-4', 'IMG-KOS']],
  ['COMPTES_RENDUS', ['11490-0', '34112-3', '11488-4', '34874-8', '60568-3', '18761-7']],
  ['CERTIFICATS', ['89601-9', 'CERT_DECL']],
  ['PREVENTION', ['75492-9', '68817-6']],
  ['SANTE_RESUME', ['60591-5', '34133-9']],
  ['ADMINISTRATIF', ['51851-4', 'PIECE-IDENTITE']],
  ['VACCINATIONS', ['87273-9', '11369-6']],
];

const BY_CODE: ReadonlyMap<string, Category> = new Map(
  TABLE.flatMap(([category, codes]) => codes.map((code) => [code, category] as const)),
);

/** LOINC codes are digits, a dash and a check digit; the others in the table are CI-SIS codes. */
const LOINC_SHAPE = /^\d{1,7}-\d$/;

/**
 * The codes of the table that are not LOINC: a CDA may carry them with a CI-SIS code system
 * (an OID under 1.2.250.1.213) instead of LOINC's.
 */
export const NON_LOINC_TYPE_CODES: ReadonlySet<string> = new Set(
  [...BY_CODE.keys()].filter((code) => !LOINC_SHAPE.test(code)),
);

export function categoryOf(typeCode: string): Category {
  return BY_CODE.get(typeCode.trim()) ?? 'AUTRES';
}

export function categoryName(category: Category): string {
  return CATEGORY_NAMES[category];
}

export function isPrescriptionCode(code: string): boolean {
  return (PRESCRIPTION_CODES as readonly string[]).includes(code.trim());
}
