import { describe, expect, it } from 'vitest';
import { describeReply, isPermanent, localReply, parseReply } from '../../../src/relay/reply.js';

describe('SMTP replies', () => {
  it('reads code, enhanced code and text', () => {
    expect(parseReply('550 5.1.1 Unknown user')).toEqual({ code: 550, enhanced: '5.1.1', text: 'Unknown user' });
    expect(parseReply('451 Try again later')).toEqual({ code: 451, enhanced: null, text: 'Try again later' });
  });

  it('joins multi-line replies', () => {
    expect(parseReply('550-5.7.1 Refusé\r\n550 5.7.1 refused')).toEqual({ code: 550, enhanced: '5.7.1', text: 'Refusé refused' });
  });

  it('reads back what describeReply wrote, local failures included', () => {
    const local = localReply('4.4.1', 'connection refused\r\nby 127.0.0.1');
    expect(local.text).toBe('connection refused by 127.0.0.1');
    expect(parseReply(describeReply(local))).toEqual(local);
    const remote = parseReply('452 4.2.2 Mailbox full');
    expect(parseReply(describeReply(remote))).toEqual(remote);
  });

  it('treats 5xx as permanent except 503', () => {
    expect(isPermanent(parseReply('550 5.1.1 x'))).toBe(true);
    expect(isPermanent(parseReply('554 x'))).toBe(true);
    expect(isPermanent(parseReply('503 5.5.1 bad sequence'))).toBe(false);
    expect(isPermanent(parseReply('451 4.3.0 x'))).toBe(false);
    expect(isPermanent(localReply('5.7.1', 'not trusted'))).toBe(true);
    expect(isPermanent(localReply('4.4.1', 'refused'))).toBe(false);
  });
});
