/** The record's "annule et remplace" rules, decided on facts alone. */
import { describe, expect, it } from 'vitest';
import { refusalText } from '../../src/domain/refusals.js';
import {
  applyDecision,
  decideFiling,
  organisationKey,
  type FiledDocument,
  type FilingFacts,
  type IncomingDocument,
} from '../../src/domain/versions.js';

const HOSPITAL = 'hopital.mssante.fr';
const OTHER = 'ch-lyon.mssante.fr';
const CUSTODIAN = 'centre hospitalier de test';

function incoming(over: Partial<IncomingDocument> = {}): IncomingDocument {
  return {
    documentId: 'doc^2',
    setId: 'set^A',
    version: 2,
    contentHash: 'hash-2',
    custodian: CUSTODIAN,
    organisation: HOSPITAL,
    confidentiality: ['N'],
    visibilityStated: true,
    ...over,
  };
}

function filed(over: Partial<FiledDocument> = {}): FiledDocument {
  return {
    rowId: 1,
    documentId: 'doc^1',
    setId: 'set^A',
    version: 1,
    status: 'current',
    contentHash: 'hash-1',
    custodian: CUSTODIAN,
    organisation: HOSPITAL,
    confidentiality: ['N'],
    ...over,
  };
}

/** the record already holds this document (same id as the incoming default) */
const sameDocument = (over: Partial<FiledDocument> = {}) => filed({ documentId: 'doc^2', version: 2, contentHash: 'hash-2', ...over });
const onlyId = (d: FiledDocument): FilingFacts => ({ sameId: d, set: [d] });

describe('the same document id again', () => {
  it('is filed once when nothing changed', () => {
    const d = sameDocument();
    expect(decideFiling(incoming(), onlyId(d))).toEqual({ kind: 'duplicate', filed: d });
  });

  it('compares visibility codes as a set', () => {
    const d = sameDocument({ confidentiality: ['MASQUE_PS', 'N'] });
    expect(decideFiling(incoming({ confidentiality: ['N', 'MASQUE_PS'] }), onlyId(d)).kind).toBe('duplicate');
  });

  it('takes new visibility codes from the organisation that filed it (an update of its metadata by its author)', () => {
    const d = sameDocument();
    expect(decideFiling(incoming({ confidentiality: ['MASQUE_PS', 'N'] }), onlyId(d))).toEqual({
      kind: 'update-visibility',
      filed: d,
      from: ['N'],
      to: ['MASQUE_PS', 'N'],
    });
  });

  it('may lift a mask when its author says so', () => {
    const d = sameDocument({ confidentiality: ['MASQUE_PS'] });
    expect(decideFiling(incoming({ confidentiality: ['N'] }), onlyId(d))).toMatchObject({ kind: 'update-visibility', to: ['N'] });
  });

  it('ignores the codes of anyone else: another domain, or the same domain with another custodian', () => {
    const d = sameDocument();
    expect(decideFiling(incoming({ organisation: OTHER, confidentiality: [] }), onlyId(d))).toEqual({ kind: 'visibility-ignored', filed: d });
    expect(decideFiling(incoming({ custodian: 'autre clinique', confidentiality: ['MASQUE_PS'] }), onlyId(d)).kind).toBe('visibility-ignored');
  });

  it('leaves the codes alone when a bare CDA (no XDM metadata) comes again', () => {
    const d = sameDocument({ confidentiality: ['MASQUE_PS'] });
    expect(decideFiling(incoming({ confidentiality: [], visibilityStated: false }), onlyId(d)).kind).toBe('duplicate');
  });

  it('refuses another content under a filed id, whoever sends it', () => {
    for (const organisation of [HOSPITAL, OTHER]) {
      const decision = decideFiling(incoming({ contentHash: 'forged', organisation }), onlyId(sameDocument()));
      expect(decision).toMatchObject({ kind: 'refuse', check: 'RECORD_ID_REUSED' });
    }
  });

  it('does not compare content it has no hash for (filed before hashes were kept)', () => {
    const d = sameDocument({ contentHash: null });
    expect(decideFiling(incoming({ contentHash: 'anything' }), onlyId(d)).kind).toBe('duplicate');
  });
});

describe('versions of a set', () => {
  it('files the first document of a set as current', () => {
    expect(decideFiling(incoming(), { set: [] })).toEqual({ kind: 'file-current' });
  });

  it('lets the organisation that filed it replace the current version', () => {
    const v1 = filed();
    expect(decideFiling(incoming(), { set: [v1] })).toEqual({ kind: 'file-current', replaces: v1 });
  });

  it('refuses a replacement from another organisation, even with the same custodian', () => {
    const decision = decideFiling(incoming({ organisation: OTHER }), { set: [filed()] });
    expect(decision).toMatchObject({ kind: 'refuse', check: 'RECORD_NOT_OWNER' });
    if (decision.kind !== 'refuse') throw new Error('not refused');
    expect(decision.refusal.detail).toContain(`sent by ${OTHER}`);
    expect(decision.refusal.detail).toContain(`filed by ${HOSPITAL}`);
  });

  it('refuses a replacement from the same domain under another custodian', () => {
    expect(decideFiling(incoming({ custodian: 'autre clinique' }), { set: [filed()] })).toMatchObject({ kind: 'refuse', check: 'RECORD_NOT_OWNER' });
  });

  it('compares only the organisation for documents filed before custodians were kept', () => {
    const legacy = filed({ custodian: null });
    expect(decideFiling(incoming({ custodian: 'nouveau nom' }), { set: [legacy] }).kind).toBe('file-current');
    expect(decideFiling(incoming({ organisation: OTHER }), { set: [legacy] }).kind).toBe('refuse');
  });

  it('refuses the same setId and versionNumber under another id: that is not a replacement', () => {
    const decision = decideFiling(incoming({ version: 1 }), { set: [filed()] });
    expect(decision).toMatchObject({ kind: 'refuse', check: 'RECORD_VERSION_TAKEN' });
  });

  it('says "not yours" before "version taken" to another organisation', () => {
    expect(decideFiling(incoming({ version: 1, organisation: OTHER }), { set: [filed()] })).toMatchObject({ check: 'RECORD_NOT_OWNER' });
  });

  it('keeps a lower version arriving late as history, under the current one', () => {
    const v3 = filed({ rowId: 3, documentId: 'doc^3', version: 3 });
    const v1 = filed({ status: 'replaced' });
    expect(decideFiling(incoming(), { set: [v1, v3] })).toEqual({ kind: 'file-history', under: v3 });
  });

  it('refuses a late lower version from another organisation too: only the owner writes into a set', () => {
    const v3 = filed({ rowId: 3, documentId: 'doc^3', version: 3 });
    expect(decideFiling(incoming({ organisation: OTHER }), { set: [v3] })).toMatchObject({ check: 'RECORD_NOT_OWNER' });
  });
});

describe('refusals', () => {
  it('are document refusals (554 5.6.0) that say why in French and English, naming the check', () => {
    const decision = decideFiling(incoming({ organisation: OTHER }), { set: [filed()] });
    if (decision.kind !== 'refuse') throw new Error('not refused');
    expect(decision.refusal).toMatchObject({ code: 'INVALID_DOCUMENT', kind: 'document' });
    const text = refusalText(decision.refusal);
    expect(text).toContain("Document refusé : seul l'organisme qui a classé ce document dans le dossier peut le remplacer / ");
    expect(text).toContain('only the organisation that filed this document in the record may replace it');
    expect(text).toContain('[RECORD_NOT_OWNER]');
    const reused = decideFiling(incoming({ contentHash: 'x' }), onlyId(sameDocument()));
    if (reused.kind !== 'refuse') throw new Error('not refused');
    expect(refusalText(reused.refusal)).toMatch(/^Document refusé : cet identifiant .* \/ document refused: this document id is already filed/);
  });
});

describe('several documents of one message', () => {
  it('are decided in order, each seeing the ones before', () => {
    const v1 = { ...filed({ rowId: -1 }), status: 'current' as const };
    let set: FiledDocument[] = [];
    const first = decideFiling(incoming({ documentId: 'doc^1', version: 1 }), { set });
    set = [...set, ...applyDecision({ set }, v1, first)];
    const v2 = filed({ rowId: -2, documentId: 'doc^2', version: 2 });
    const second = decideFiling(incoming(), { set });
    expect(second).toEqual({ kind: 'file-current', replaces: v1 });
    const changed = applyDecision({ set }, v2, second);
    expect(changed.map((d) => [d.rowId, d.status])).toEqual([
      [-1, 'replaced'],
      [-2, 'current'],
    ]);
  });

  it('carry a visibility update forward', () => {
    const d = sameDocument();
    const decision = decideFiling(incoming({ confidentiality: ['MASQUE_PS'] }), onlyId(d));
    expect(applyDecision(onlyId(d), d, decision)).toEqual([{ ...d, confidentiality: ['MASQUE_PS'] }]);
    expect(applyDecision(onlyId(d), d, { kind: 'duplicate', filed: d })).toEqual([]);
  });
});

describe('organisationKey', () => {
  it('ignores case and spacing, not the name', () => {
    expect(organisationKey('  Centre  Hospitalier\nde TEST ')).toBe(CUSTODIAN);
    expect(organisationKey(undefined)).toBe('');
    expect(organisationKey('Clinique B')).not.toBe(organisationKey('Clinique A'));
  });
});
