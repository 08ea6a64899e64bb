import { describe, expect, it } from 'vitest';
import { CATEGORIES, CATEGORY_NAMES, NON_LOINC_TYPE_CODES, categoryOf, isPrescriptionCode, type Category } from '../../../src/domain/categories.js';

describe('type code → Mon espace santé category', () => {
  const table: [Category, string[]][] = [
    ['ORDONNANCES_SOINS', ['57833-6', '57832-8', '57828-6', 'PRESC-BIO', 'PRESC-KINE', 'PRESC-INF', '60593-1', '18776-5', 'PROT_ALD']],
    ['BIOLOGIE', ['11502-2']],
    ['IMAGERIE', ['18748-4', 'IMG-KOS']],
    ['COMPTES_RENDUS', ['11490-0', '34112-3', '11488-4', '34874-8', '60568-3', '18761-7']],
    ['CERTIFICATS', ['89601-9', 'CERT_DECL']],
    ['PREVENTION', ['75492-9', '68817-6']],
    ['SANTE_RESUME', ['60591-5', '34133-9']],
    ['ADMINISTRATIF', ['51851-4', 'PIECE-IDENTITE']],
    ['VACCINATIONS', ['87273-9', '11369-6']],
  ];
  it.each(table)('%s', (category, codes) => {
    for (const code of codes) expect(categoryOf(code), code).toBe(category);
  });

  it('sends unknown codes to "Autres documents"', () => {
    expect(categoryOf('99999-9')).toBe('AUTRES');
    expect(categoryOf('')).toBe('AUTRES');
    expect(CATEGORY_NAMES[categoryOf('x')]).toBe('Autres documents');
  });

  it('names every category in French, vaccinations apart', () => {
    expect(CATEGORIES).toHaveLength(10);
    expect(CATEGORIES.map((c) => CATEGORY_NAMES[c])).toEqual([
      'Ma santé en résumé',
      'Ordonnances et soins',
      'Radio, écho, scanner, IRM',
      'Résultats de biologie',
      'Comptes rendus',
      'Prévention et dépistage',
      'Certificats médicaux',
      'Pièces administratives',
      'Vaccinations',
      'Autres documents',
    ]);
  });

  it('knows the prescription codes (the first row) and only them', () => {
    for (const code of table[0]![1]) expect(isPrescriptionCode(code), code).toBe(true);
    for (const code of ['11502-2', '11490-0', 'IMG-KOS', 'CERT_DECL', '']) expect(isPrescriptionCode(code), code).toBe(false);
  });

  it('lists the non-LOINC codes of the table', () => {
    expect([...NON_LOINC_TYPE_CODES].sort()).toEqual(['CERT_DECL', 'IMG-KOS', 'PIECE-IDENTITE', 'PRESC-BIO', 'PRESC-INF', 'PRESC-KINE', 'PROT_ALD']);
  });
});
