import { describe, expect, it } from 'vitest';
import { ConnectionLimits } from '../../../src/net/connection-limits.js';
import { RCPT_PARAMETERS, mailParameters, unsupportedParameter } from '../../../src/smtp/parameters.js';

describe('connection caps', () => {
  it('caps one client, then the door, and gives places back', () => {
    const limits = new ConnectionLimits({ total: 3, perClient: 2 });
    expect([limits.admit('10.0.0.1'), limits.admit('10.0.0.1'), limits.admit('10.0.0.1')]).toEqual([undefined, undefined, 'client']);
    expect(limits.admit('10.0.0.2')).toBeUndefined();
    expect(limits.admit('10.0.0.3')).toBe('total');
    limits.release('10.0.0.1');
    expect(limits.admit('10.0.0.3')).toBeUndefined();
    expect(limits.size).toBe(3);
    // Giving back what was never taken changes nothing.
    limits.release('10.9.9.9');
    expect(limits.size).toBe(3);
  });
});

describe('MAIL and RCPT parameters', () => {
  it('takes only what EHLO advertises', () => {
    expect(unsupportedParameter({ SIZE: '10', BODY: '8BITMIME', SMTPUTF8: true }, mailParameters(false))).toBeUndefined();
    expect(unsupportedParameter({ SIZE: '10', RET: 'HDRS' }, mailParameters(false))).toBe('RET');
    expect(unsupportedParameter({ AUTH: '<>' }, mailParameters(false))).toBe('AUTH');
    expect(unsupportedParameter({ AUTH: '<>' }, mailParameters(true))).toBeUndefined();
    expect(unsupportedParameter({ NOTIFY: 'SUCCESS' }, RCPT_PARAMETERS)).toBe('NOTIFY');
    expect(unsupportedParameter(false, RCPT_PARAMETERS)).toBeUndefined();
  });
});
