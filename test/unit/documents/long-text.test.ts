import { describe, expect, it } from 'vitest';
import { buildCda, buildPdf } from '../../../fixtures/builders.js';
import { longTextRuns } from '../../../src/documents/long-text.js';
import { DocumentProblem } from '../../../src/documents/problem.js';
import { parseXml, type XmlElement } from '../../../src/documents/xml.js';

const LIMITS = { maxXmlBytes: 16 * 1024 * 1024, maxXmlDepth: 64 };
const B64 = 'QUJDRA=='.repeat(8); // 64 characters of base64

/** The tree as plain data, to compare two parses. */
function plain(element: XmlElement): unknown {
  return { ns: element.ns, name: element.name, attributes: [...element.attributes], text: element.text, children: element.children.map(plain) };
}

/** Parses with long runs lifted (from 16 characters) and without; both must agree exactly. */
function bothWays(xml: string): { lifted: unknown; parsed: unknown } {
  const run = (longText: number) => {
    try {
      return plain(parseXml(Buffer.from(xml), LIMITS, longText));
    } catch (error) {
      if (error instanceof DocumentProblem) return { refused: error.check, detail: error.detail };
      throw error;
    }
  };
  return { lifted: run(16), parsed: run(Infinity) };
}

describe('long runs of text skip the parser, changing nothing but the time', () => {
  it.each([
    ['element text', `<a><b>${B64}</b></a>`],
    ['text with line breaks, CR LF included', `<a><b>\r\n${B64}\r\n${B64}\r${B64}\n</b></a>`],
    ['mixed content', `<a><b>${B64}<c/>${B64}</b>${B64}</a>`],
    ['a ">" inside a quoted attribute', `<a x="1>${B64}" y='>'>${B64}</a>`],
    ['a comment holding ">" and base64', `<a><!-- > ${B64} --><b>x</b></a>`],
    ['a comment holding "<"', `<a><!-- > ${B64} < ${B64} --></a>`],
    ['a CDATA section', `<a><![CDATA[ > ${B64} <b> ]]>${B64}</a>`],
    ['a processing instruction', `<a><?pi > ${B64} ?>${B64}</a>`],
    ['text that is not only base64', `<a>${B64}&amp;${B64}</a>`],
    ['text with a forbidden character', `<a>${B64}\u0001${B64}</a>`],
    ['text outside the root element', `<a/>${B64}`],
    ['text before the root element', `${B64}<a/>`],
    ['an unterminated tag', `<a>${B64}<b x="${B64}`],
    ['an unterminated comment', `<a><!-- ${B64}`],
    ['a DOCTYPE', `<!DOCTYPE a [<!ENTITY e "${B64}">]><a>${B64}&e;</a>`],
    ['a mismatched end tag', `<a>${B64}</b>`],
  ])('%s', (_label, xml) => {
    const { lifted, parsed } = bothWays(xml);
    expect(lifted).toEqual(parsed);
  });

  it('finds the base64 body of an N1 CDA and nothing else', () => {
    const pdf = buildPdf({ lines: ['Compte rendu'], paddingBytes: 200_000, seed: 7 });
    const xml = buildCda({ body: { pdf } }).toString('utf8');
    const runs = longTextRuns(xml);
    expect(runs).toHaveLength(1);
    const text = xml.slice(runs[0]!.start, runs[0]!.end);
    expect(Buffer.from(text, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    expect(bothWays(xml).lifted).toEqual(bothWays(xml).parsed);
  });

  it('lifts nothing from a document with a DOCTYPE', () => {
    expect(longTextRuns(`<!DOCTYPE a><a>${B64.repeat(2000)}</a>`)).toEqual([]);
  });
});
