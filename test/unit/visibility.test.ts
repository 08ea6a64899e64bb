/**
 * Which documents of their record a citizen sees (src/domain/visibility.ts): INVISIBLE_PATIENT
 * hides a document from the patient, and its versions are not shown as replacing anything;
 * INVISIBLE_REP_LEGAL and MASQUE_PS hide nothing from the patient themself.
 */
import { describe, expect, it } from 'vitest';
import { citizenView, isInvisibleToCitizen, visibleToCitizen, type VersionedDocument } from '../../src/domain/visibility.js';

const doc = (id: number, over: Partial<VersionedDocument> = {}): VersionedDocument => ({
  id,
  status: 'current',
  replacedBy: null,
  confidentiality: ['N'],
  ...over,
});

describe('visibleToCitizen', () => {
  it('hides only what is marked INVISIBLE_PATIENT', () => {
    expect(visibleToCitizen(doc(1))).toBe(true);
    expect(visibleToCitizen(doc(1, { confidentiality: [] }))).toBe(true);
    expect(visibleToCitizen(doc(1, { confidentiality: ['N', 'INVISIBLE_PATIENT'] }))).toBe(false);
    expect(isInvisibleToCitizen(['INVISIBLE_PATIENT'])).toBe(true);
  });

  it('shows the patient what is hidden from their legal representative or from professionals', () => {
    expect(visibleToCitizen(doc(1, { confidentiality: ['N', 'INVISIBLE_REP_LEGAL'] }))).toBe(true);
    expect(visibleToCitizen(doc(1, { confidentiality: ['N', 'MASQUE_PS'] }))).toBe(true);
    expect(visibleToCitizen(doc(1, { confidentiality: ['MASQUE_PS', 'INVISIBLE_REP_LEGAL'] }))).toBe(true);
    expect(isInvisibleToCitizen(['MASQUE_PS', 'INVISIBLE_REP_LEGAL', 'R', 'V'])).toBe(false);
  });

  it('reads the code exactly: another spelling is not the code', () => {
    expect(visibleToCitizen(doc(1, { confidentiality: ['invisible_patient'] }))).toBe(true);
  });
});

describe('citizenView', () => {
  it('leaves out invisible documents and keeps the order given', () => {
    const all = [doc(3), doc(2, { confidentiality: ['INVISIBLE_PATIENT'] }), doc(1, { confidentiality: ['MASQUE_PS'] })];
    expect(citizenView(all).map((d) => d.id)).toEqual([3, 1]);
  });

  it('keeps a version replaced by a visible one as it is', () => {
    const all = [doc(2), doc(1, { status: 'replaced', replacedBy: 2 })];
    expect(citizenView(all)).toEqual(all);
  });

  it('shows as current a version whose replacement the citizen may not see', () => {
    const all = [doc(2, { confidentiality: ['INVISIBLE_PATIENT'] }), doc(1, { status: 'replaced', replacedBy: 2 })];
    expect(citizenView(all)).toEqual([doc(1)]);
  });

  it('points past invisible versions to the next one the citizen sees', () => {
    const all = [
      doc(3),
      doc(2, { status: 'replaced', replacedBy: 3, confidentiality: ['N', 'INVISIBLE_PATIENT'] }),
      doc(1, { status: 'replaced', replacedBy: 2 }),
    ];
    expect(citizenView(all)).toEqual([doc(3), doc(1, { status: 'replaced', replacedBy: 3 })]);
  });

  it('does not loop on a cycle of invisible replacements', () => {
    const hidden = ['INVISIBLE_PATIENT'];
    const all = [doc(3, { replacedBy: 2, confidentiality: hidden }), doc(2, { replacedBy: 3, confidentiality: hidden }), doc(1, { status: 'replaced', replacedBy: 2 })];
    expect(citizenView(all)).toEqual([doc(1)]);
  });

  it('keeps a replacement it was not given (another set) as it is', () => {
    const all = [doc(1, { status: 'replaced', replacedBy: 99 })];
    expect(citizenView(all)).toEqual(all);
  });
});
