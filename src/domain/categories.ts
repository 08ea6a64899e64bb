/**
 * Where a health document goes in the citizen's record (the Mon espace santé categories), from
 * its CDA type code: read from the CI-SIS type-code table (type-codes.ts), where every code of
 * the value set has its category. A code outside the value set is refused by the document checks
 * before filing; for anything else that asks (a record document), it is "Autres documents".
 */
import { CATEGORIES, TYPE_CODES, type Category } from './type-codes.js';

export { CATEGORIES, type Category };

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

// A code names one concept in the whole value set (LOINC codes and the ANS's never collide;
// the unit test keeps it so), so the code alone finds the category once the CDA check has
// matched its code system.
const CATEGORY_BY_CODE: ReadonlyMap<string, Category> = new Map(TYPE_CODES.map((t) => [t.code, t.category] as const));
const PRESCRIPTIONS: ReadonlySet<string> = new Set(TYPE_CODES.filter((t) => t.prescription).map((t) => t.code));

export function categoryOf(typeCode: string): Category {
  return CATEGORY_BY_CODE.get(typeCode.trim()) ?? 'AUTRES';
}

export function categoryName(category: Category): string {
  return CATEGORY_NAMES[category];
}

export function isCategory(code: string): code is Category {
  return (CATEGORIES as readonly string[]).includes(code);
}

/** A stored category code as a category; one this version does not know reads as "Autres documents". */
export function asCategory(code: string): Category {
  return isCategory(code) ? code : 'AUTRES';
}

/**
 * Rule 6, from the record: a document the citizen keeps under "Ordonnances et soins" counts as a
 * prescription they may send a pharmacy, whatever its type code (a scanned ordonnance too).
 */
export function isPrescriptionInRecord(category: string): boolean {
  return category === 'ORDONNANCES_SOINS';
}

/** Rule 6: a prescription a pharmacy fills (see TypeCode.prescription). */
export function isPrescriptionCode(code: string): boolean {
  return PRESCRIPTIONS.has(code.trim());
}
