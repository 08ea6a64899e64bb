import { describe, expect, it } from 'vitest';
import { CrlfNormaliser, toCrlf } from '../../../src/mime/crlf.js';

describe('line ends', () => {
  it('turns bare LFs into CRLF and leaves CRLF alone, across chunk boundaries', () => {
    expect(toCrlf(Buffer.from('a\nb\r\nc\n\nd')).toString()).toBe('a\r\nb\r\nc\r\n\r\nd');
    const text = 'Subject: x\r\n\r\nline\nline\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const n = new CrlfNormaliser();
      const out = Buffer.concat([n.normalise(Buffer.from(text.slice(0, cut))), n.normalise(Buffer.from(text.slice(cut)))]);
      expect(out.toString()).toBe('Subject: x\r\n\r\nline\r\nline\r\n');
    }
  });
});
