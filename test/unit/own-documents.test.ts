/**
 * A citizen's own documents (src/domain/own-documents.ts): the type code of a deposit in each
 * category, the titles and file names made from file names, the files of a record document;
 * and the search folding of the directory (src/domain/search-text.ts).
 */
import { describe, expect, it } from 'vitest';
import { CATEGORIES, asCategory, categoryOf, isCategory } from '../../src/domain/categories.js';
import { documentFileName, ownDocumentTitle, ownDocumentType, recordFiles } from '../../src/domain/own-documents.js';
import { foldForSearch } from '../../src/domain/search-text.js';
import { ANS_TYPE_CODE_SYSTEM, typeCodeOf } from '../../src/domain/type-codes.js';

describe('ownDocumentType', () => {
  it('gives every category a code of the CI-SIS value set, from the ANS code system', () => {
    for (const category of CATEGORIES) {
      const type = ownDocumentType(category);
      expect(typeCodeOf(type.code, type.codeSystem), category).toBeDefined();
      expect(type.codeSystem).toBe(ANS_TYPE_CODE_SYSTEM);
    }
  });

  it('gives the DOCPAT code of the category itself ("… déposé par le patient")', () => {
    const codes = Object.fromEntries(CATEGORIES.map((c) => [c, ownDocumentType(c).code]));
    expect(codes).toEqual({
      SANTE_RESUME: 'DOCPAT01',
      ORDONNANCES_SOINS: 'DOCPAT02',
      IMAGERIE: 'DOCPAT04',
      BIOLOGIE: 'DOCPAT05',
      COMPTES_RENDUS: 'DOCPAT03',
      PREVENTION: 'DOCPAT06',
      CERTIFICATS: 'DOCPAT07',
      ADMINISTRATIF: 'DOCPAT09',
      VACCINATIONS: 'DOCPAT06',
      AUTRES: 'EXPPAT_2',
    });
    // The code files where the citizen put it, but for vaccinations, which have no code of their own.
    for (const category of CATEGORIES.filter((c) => c !== 'VACCINATIONS')) expect(categoryOf(ownDocumentType(category).code)).toBe(category);
    expect(ownDocumentType('SANTE_RESUME').displayName).toBe('Synthèse déposée par le patient');
  });

  it('knows the categories by their codes only', () => {
    expect(isCategory('BIOLOGIE')).toBe(true);
    expect(isCategory('biologie')).toBe(false);
    expect(isCategory('Résultats de biologie')).toBe(false);
    expect(isCategory('__proto__')).toBe(false);
    expect(asCategory('BIOLOGIE')).toBe('BIOLOGIE');
    expect(asCategory('ANCIENNE_CATEGORIE')).toBe('AUTRES');
  });
});

describe('titles and file names', () => {
  it('titles a deposit with its file name, without folders, controls or more than 128 characters', () => {
    expect(ownDocumentTitle('compte-rendu.pdf')).toBe('compte-rendu.pdf');
    expect(ownDocumentTitle('C:\\Users\\x\\scan.jpg')).toBe('scan.jpg');
    expect(ownDocumentTitle('../../etc/passwd')).toBe('passwd');
    expect(ownDocumentTitle('a\u0000b\u202ec.pdf')).toBe('a b c.pdf');
    expect(ownDocumentTitle('   ')).toBe('Document');
    expect([...ownDocumentTitle(`${'é'.repeat(200)}.pdf`)]).toHaveLength(128);
  });

  it('names a downloaded file from its title, safely, with its extension once', () => {
    expect(documentFileName("Compte rendu d'hospitalisation", 'pdf')).toBe("Compte rendu d'hospitalisation.pdf");
    expect(documentFileName('scan.PDF', 'pdf')).toBe('scan.PDF');
    expect(documentFileName('photo.jpeg', 'jpg')).toBe('photo.jpeg');
    expect(documentFileName('Résultats 01/02 "urgent"', 'xml')).toBe('Résultats 01 02 urgent.xml');
    expect(documentFileName('..\\..\\evil', 'pdf')).toBe('evil.pdf');
    expect(documentFileName('line\r\nContent-Type: text/html', 'txt')).toBe('line Content-Type text html.txt');
    expect(documentFileName('...', 'pdf')).toBe('document.pdf');
  });
});

describe('recordFiles', () => {
  const base = { cdaBlobId: 'cda', cdaSize: 10, pdfBlobId: null, pdfSize: null };
  it('gives a CDA document its CDA, its PDF when extracted, and the CDA as its own file', () => {
    expect(recordFiles({ ...base, source: 'message', contentType: 'text/xml', pdfBlobId: 'pdf', pdfSize: 5 })).toEqual({
      cda: { blobId: 'cda', size: 10 },
      pdf: { blobId: 'pdf', size: 5 },
      original: { blobId: 'cda', size: 10, contentType: 'text/xml', extension: 'xml' },
    });
  });

  it('gives a deposited image no CDA: its own file only', () => {
    expect(recordFiles({ ...base, source: 'citizen', contentType: 'image/jpeg' })).toEqual({
      original: { blobId: 'cda', size: 10, contentType: 'image/jpeg', extension: 'jpg' },
    });
  });
});

describe('foldForSearch', () => {
  it('drops case, accents, ligatures and punctuation', () => {
    expect(foldForSearch('Saint-Étienne')).toBe('saint etienne');
    expect(foldForSearch("Pharmacie de l'Église")).toBe('pharmacie de l eglise');
    expect(foldForSearch('  CŒUR   de  Lyon ')).toBe('coeur de lyon');
    expect(foldForSearch('L’Haÿ-les-Roses')).toBe('l hay les roses');
  });

  it('keeps what an address is made of', () => {
    expect(foldForSearch('Officine@CH-Lyon.mssante.fr')).toBe('officine@ch lyon.mssante.fr');
    expect(foldForSearch('10101010101')).toBe('10101010101');
  });

  it('folds a search and what it looks in the same way', () => {
    expect(foldForSearch('Saint-Étienne').includes(foldForSearch('SAINT ETIENNE'))).toBe(true);
    expect(foldForSearch('Caluire-et-Cuire').includes(foldForSearch('caluire-et'))).toBe(true);
  });
});
