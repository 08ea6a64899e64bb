import { describe, expect, it } from 'vitest';
import { checkIns, insKey } from '../../src/domain/ins.js';

function problemOf(text: string) {
  const result = checkIns(text);
  return result.ok ? 'ok' : result.problem;
}

describe('matricule INS', () => {
  it.each([
    ['184127645108946', 'born in Cantal (76), ordinary key'],
    ['269054958815780', 'a woman born in 1969'],
    ['185039710500154', 'month 03, department 97 (overseas) in the first positions'],
    ['185229741100105', 'fictitious month 22, born in La Réunion (974)'],
    ['220509912345679', 'unknown month 50, born abroad (99)'],
    ['180359900112369', 'fictitious month 35, born abroad'],
    ['799129999912355', 'provisional number (sex digit 7)'],
  ])('accepts %s (%s)', (ins) => {
    expect(checkIns(ins)).toEqual({ ok: true, ins });
  });

  it('computes Corsican keys with 2A read as 19 and 2B as 18', () => {
    expect(insKey('185022A123456')).toBe(String(97 - Number(1850219123456n % 97n)).padStart(2, '0'));
    expect(insKey('185022B123456')).toBe(String(97 - Number(1850218123456n % 97n)).padStart(2, '0'));
    expect(checkIns('185022A12345682')).toEqual({ ok: true, ins: '185022A12345682' });
    expect(checkIns('185022B12345612')).toEqual({ ok: true, ins: '185022B12345612' });
    expect(checkIns('185022a12345682')).toEqual({ ok: true, ins: '185022A12345682' });
    // The 2A key does not fit 2B: the letters are part of the number.
    expect(problemOf('185022B12345682')).toBe('key');
  });

  it.each([
    ['18412764510894', 'length'],
    ['1841276451089466', 'length'],
    ['', 'length'],
    ['18412764510894X', 'characters'],
    ['1841276A5108946', 'characters'],
    ['384127645108946', 'sex'],
    ['084127645108946', 'sex'],
    ['184007645108946', 'month'],
    ['184137645108946', 'month'],
    ['184437645108946', 'month'],
    ['184120045108946', 'department'],
    ['184129645108946', 'department'],
    ['185209800100124', 'department'],
    ['184127600008946', 'commune'],
    ['184127645100046', 'order'],
    ['184127645108947', 'key'],
    ['184127645108900', 'key'],
  ])('refuses %s: %s', (ins, problem) => {
    expect(problemOf(ins)).toBe(problem);
  });

  it('says what is wrong in words', () => {
    const result = checkIns('184127645108947');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toBe('invalid INS "184127645108947": the control key does not match the number');
  });
});
