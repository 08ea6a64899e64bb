import { describe, expect, it } from 'vitest';
import { citizenAddress, insOfCitizenAddress, parseAddress } from '../../src/domain/address.js';

describe('addresses', () => {
  it('normalises case and keeps local and domain apart', () => {
    expect(parseAddress(' Dr.House@Hopital.MSSante.fr ')).toEqual({
      ok: true,
      value: { address: 'dr.house@hopital.mssante.fr', local: 'dr.house', domain: 'hopital.mssante.fr' },
    });
  });

  it.each(['no-at-sign', '@domain.fr', 'local@', 'a..b@x.fr', 'a@b', 'a b@x.fr', '"quoted"@x.fr', 'a@-x.fr'])(
    'refuses %s',
    (text) => {
      expect(parseAddress(text).ok).toBe(false);
    },
  );

  it('reads the INS of a citizen address and nothing else', () => {
    const citizen = parseAddress(citizenAddress('184127645108946'));
    const pro = parseAddress('dr.house@hopital.mssante.fr');
    expect(citizen.ok && insOfCitizenAddress(citizen.value)).toEqual({ ok: true, ins: '184127645108946' });
    expect(pro.ok && insOfCitizenAddress(pro.value)).toBeUndefined();
    const bad = parseAddress('184127645108947@patient.mssante.fr');
    expect(bad.ok && insOfCitizenAddress(bad.value)).toMatchObject({ ok: false, problem: 'key' });
  });
});
