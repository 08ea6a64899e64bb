import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCda, MAIN_INS } from '../../../fixtures/builders.js';
import { CATEGORIES, CATEGORY_NAMES, categoryOf, isPrescriptionCode, type Category } from '../../../src/domain/categories.js';
import { ANS_TYPE_CODE_SYSTEM, ASTM_SYSTEM, LOINC_SYSTEM, TYPE_CODES, typeCodeOf } from '../../../src/domain/type-codes.js';
import { TO_CITIZEN, checkOne } from './support.js';

/** The value set as the ANS ships it in the TestContenuCDA-3-0 kit (version of 2024-09-27). */
const KIT_VALUE_SET = path.resolve(import.meta.dirname, '../../../fixtures/ans/JDV_J07_XdsTypeCode_CISIS.xml');

function kitConcepts(): { code: string; codeSystem: string; displayName: string }[] {
  const xml = readFileSync(KIT_VALUE_SET, 'utf8');
  return [...xml.matchAll(/<Concept\s+code="([^"]+)"\s+codeSystem="([^"]+)"\s+displayName="([^"]+)"\s*\/>/g)].map(([, code, codeSystem, displayName]) => ({
    code: code!,
    codeSystem: codeSystem!,
    displayName: displayName!.replace(/&apos;/g, "'"),
  }));
}

/** LOINC's check digit: the mod-10 (Luhn) algorithm over the digits before the dash. */
function loincCheckDigitOk(code: string): boolean {
  const [number, check] = code.split('-');
  let sum = 0;
  [...number!].reverse().forEach((digit, i) => {
    const d = Number(digit) * (i % 2 === 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  });
  return (10 - (sum % 10)) % 10 === Number(check);
}

describe('the CI-SIS type-code value set (JDV_J07-XdsTypeCode-CISIS)', () => {
  it('has all 123 concepts of the 2026-06-29 version: 35 ANS, 87 LOINC, 1 ASTM', () => {
    const count = (system: string) => TYPE_CODES.filter((t) => t.codeSystem === system).length;
    expect([TYPE_CODES.length, count(ANS_TYPE_CODE_SYSTEM), count(LOINC_SYSTEM), count(ASTM_SYSTEM)]).toEqual([123, 35, 87, 1]);
  });

  it('holds every concept of the version the ANS kit ships, with its display name, and nine newer LOINC codes', () => {
    const kit = kitConcepts();
    expect(kit).toHaveLength(114);
    for (const concept of kit) expect(typeCodeOf(concept.code, concept.codeSystem), concept.code).toMatchObject(concept);
    const kitPairs = new Set(kit.map((c) => `${c.codeSystem}|${c.code}`));
    const newer = TYPE_CODES.filter((t) => !kitPairs.has(`${t.codeSystem}|${t.code}`)).map((t) => t.code);
    expect(newer.sort()).toEqual(['100967-9', '34876-3', '34895-3', '55751-2', '68814-3', '83963-9', '84067-8', '96163-1', '97694-4']);
  });

  it('gives every code a valid shape, a display name and a category', () => {
    for (const t of TYPE_CODES) {
      if (t.codeSystem === LOINC_SYSTEM) {
        expect(t.code, t.code).toMatch(/^\d{1,6}-\d$/);
        expect(loincCheckDigitOk(t.code), `${t.code}: LOINC check digit`).toBe(true);
      } else if (t.codeSystem === ANS_TYPE_CODE_SYSTEM) {
        expect(t.code, t.code).toMatch(/^[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)*$/);
      } else {
        expect(t).toMatchObject({ code: 'E1762', codeSystem: ASTM_SYSTEM });
      }
      expect(t.displayName.trim().length, t.code).toBeGreaterThan(0);
      expect(CATEGORIES, t.code).toContain(t.category);
      expect(categoryOf(t.code), t.code).toBe(t.category);
    }
  });

  it('names each code once in the whole set, so the code alone finds the category', () => {
    const codes = TYPE_CODES.map((t) => t.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('fills every category of the record with some code', () => {
    for (const category of CATEGORIES) expect(TYPE_CODES.some((t) => t.category === category), category).toBe(true);
  });

  it('accepts exactly the pairs of the set: the code system is checked against the code', () => {
    expect(typeCodeOf('SYNTH', ANS_TYPE_CODE_SYSTEM)?.displayName).toBe('Synthèse');
    expect(typeCodeOf('REMB', ANS_TYPE_CODE_SYSTEM)?.displayName).toBe('Données de remboursement');
    expect(typeCodeOf('11502-2', LOINC_SYSTEM)?.category).toBe('BIOLOGIE');
    expect(typeCodeOf(' 11502-2 ', ` ${LOINC_SYSTEM} `)?.code).toBe('11502-2');
    expect(typeCodeOf('SYNTH', LOINC_SYSTEM)).toBeUndefined();
    expect(typeCodeOf('11502-2', ANS_TYPE_CODE_SYSTEM)).toBeUndefined();
    expect(typeCodeOf('11502-2', '')).toBeUndefined();
    expect(typeCodeOf('99999-9', LOINC_SYSTEM)).toBeUndefined();
    expect(typeCodeOf('synth', ANS_TYPE_CODE_SYSTEM)).toBeUndefined();
  });
});

describe('type code → Mon espace santé category', () => {
  it('files the codes the issue found in "Autres documents" where the citizen looks for them', () => {
    const expected: [string, Category][] = [
      ['34749-2', 'COMPTES_RENDUS'], // consultation pré-anesthésique
      ['85208-7', 'COMPTES_RENDUS'], // télémédecine
      ['57055-6', 'SANTE_RESUME'], // synthèse antepartum
      ['96173-0', 'BIOLOGIE'], // test rapide d'orientation diagnostique
      ['51969-4', 'BIOLOGIE'], // génétique moléculaire
      ['55115-0', 'ORDONNANCES_SOINS'], // demande d'actes d'imagerie: a prescription
    ];
    for (const [code, category] of expected) expect(categoryOf(code), code).toBe(category);
  });

  it('keeps the categories of the codes the record already knew', () => {
    const table: [Category, string[]][] = [
      ['ORDONNANCES_SOINS', ['57833-6', '57832-8', '57828-6', 'PRESC-BIO', 'PRESC-KINE', 'PRESC-INF', '60593-1', '18776-5', 'PROT_ALD']],
      ['BIOLOGIE', ['11502-2']],
      ['IMAGERIE', ['18748-4', 'IMG-KOS']],
      ['COMPTES_RENDUS', ['11490-0', '34112-3', '11488-4', '34874-8', '60568-3', '18761-7']],
      ['CERTIFICATS', ['89601-9', 'CERT_DECL']],
      ['PREVENTION', ['75492-9', '68817-6']],
      ['SANTE_RESUME', ['60591-5', '34133-9', 'SYNTH']],
      ['ADMINISTRATIF', ['51851-4', 'PIECE-IDENTITE', 'REMB']],
      ['VACCINATIONS', ['87273-9', '11369-6']],
    ];
    for (const [category, codes] of table) for (const code of codes) expect(categoryOf(code), code).toBe(category);
  });

  it('puts each DOCPAT code (the citizen\'s own uploads, one a category) in its category', () => {
    const docpat = ['SANTE_RESUME', 'ORDONNANCES_SOINS', 'COMPTES_RENDUS', 'IMAGERIE', 'BIOLOGIE', 'PREVENTION', 'CERTIFICATS', 'SANTE_RESUME', 'ADMINISTRATIF'];
    docpat.forEach((category, i) => expect(categoryOf(`DOCPAT0${i + 1}`)).toBe(category));
  });

  it('sends a code outside the set to "Autres documents"', () => {
    expect(categoryOf('99999-9')).toBe('AUTRES');
    expect(categoryOf('')).toBe('AUTRES');
    expect(CATEGORY_NAMES[categoryOf('x')]).toBe('Autres documents');
  });

  it('names every category in French, vaccinations apart', () => {
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

  it('takes as a prescription for a pharmacy (rule 6) what a pharmacy fills, and only that', () => {
    for (const code of ['57833-6', '57832-8', 'PRESC-INF', '57828-6', '75468-9', 'DOCPAT02', ' 57833-6 ']) expect(isPrescriptionCode(code), code).toBe(true);
    // laboratory, physiotherapy, imaging and sick-leave prescriptions are for other professionals
    for (const code of ['PRESC-BIO', 'PRESC-KINE', 'PRESC-AAT', '55115-0', '60593-1', '11502-2', 'CERT_DECL', '']) {
      expect(isPrescriptionCode(code), code).toBe(false);
    }
    for (const t of TYPE_CODES.filter((t) => t.prescription)) expect(t.category, t.code).toBe('ORDONNANCES_SOINS');
  });
});

describe('the CDA type-code check', () => {
  const check = (typeCode: string, typeCodeSystem: string) => checkOne(buildCda({ typeCode, typeCodeSystem }), 'cda.xml', TO_CITIZEN, 'text/xml');

  it('accepts the ANS codes with the ANS code system, as LOINC codes with LOINC', async () => {
    for (const [code, system] of [['SYNTH', ANS_TYPE_CODE_SYSTEM], ['REMB', ANS_TYPE_CODE_SYSTEM], ['96173-0', LOINC_SYSTEM]] as const) {
      const { refusal, documents } = await check(code, system);
      expect(refusal, code).toBeUndefined();
      expect(documents[0]).toMatchObject({ typeCode: code, typeCodeSystem: system, ins: MAIN_INS });
    }
  });

  it('refuses a code of the set under the other code system, naming the right one', async () => {
    const synth = await check('SYNTH', LOINC_SYSTEM);
    expect(synth.refusal).toMatchObject({ code: 'INVALID_DOCUMENT', check: 'CDA_CODE_SYSTEM' });
    expect(synth.refusal?.message).toContain(`"SYNTH" must use the code system ${ANS_TYPE_CODE_SYSTEM}, not "${LOINC_SYSTEM}"`);
    const bio = await check('11502-2', ANS_TYPE_CODE_SYSTEM);
    expect(bio.refusal?.check).toBe('CDA_CODE_SYSTEM');
    expect(bio.refusal?.message).toContain(`"11502-2" must use the LOINC code system ${LOINC_SYSTEM}, not "${ANS_TYPE_CODE_SYSTEM}"`);
  });

  it('refuses a code outside the set, whatever its code system, and says so', async () => {
    for (const [code, system] of [['99999-9', LOINC_SYSTEM], ['NOT-IN-SET', ANS_TYPE_CODE_SYSTEM], ['34108-1', LOINC_SYSTEM]] as const) {
      const { refusal } = await check(code, system);
      expect(refusal, code).toMatchObject({ code: 'INVALID_DOCUMENT', check: 'CDA_CODE', attachment: 'cda.xml' });
      expect(refusal?.message).toContain(`the document type code "${code}" (code system "${system}") is not in the CI-SIS type-code value set JDV_J07-XdsTypeCode-CISIS`);
    }
  });
});
