import { describe, expect, it } from 'vitest';
import { DocumentProblem } from '../../../src/documents/problem.js';
import { parseXml, path, peekRoot } from '../../../src/documents/xml.js';

const LIMITS = { maxXmlBytes: 1024 * 1024, maxXmlDepth: 32 };

function problemOf(xml: string | Buffer, limits = LIMITS): DocumentProblem {
  try {
    parseXml(typeof xml === 'string' ? Buffer.from(xml) : xml, limits);
  } catch (error) {
    if (error instanceof DocumentProblem) return error;
    throw error;
  }
  throw new Error('the XML was accepted');
}

describe('safe XML reading', () => {
  it('builds a tree with namespaces, attributes and text', () => {
    const root = parseXml(Buffer.from('<?xml version="1.0"?><a xmlns="urn:x" xmlns:y="urn:y" k="v"><b y:t="1">t<![CDATA[<c>]]></b></a>'), LIMITS);
    expect(root).toMatchObject({ ns: 'urn:x', name: 'a' });
    expect(root.attributes.get('k')).toBe('v');
    const b = path(root, 'b');
    expect(b?.text).toBe('t<c>');
    expect(b?.attributes.get('y:t')).toBe('1');
  });

  it('refuses any DOCTYPE, even one that declares nothing', () => {
    expect(problemOf('<!DOCTYPE a><a/>').check).toBe('XML_DOCTYPE');
    expect(problemOf('<!DOCTYPE a [<!ENTITY e SYSTEM "http://internal.example/">]><a>&e;</a>').check).toBe('XML_DOCTYPE');
  });

  it('refuses undefined entities (there is no DTD to define them)', () => {
    expect(problemOf('<a>&lol;</a>').check).toBe('XML_SYNTAX');
  });

  it('bounds the size and the element depth', () => {
    expect(problemOf('<a/>', { ...LIMITS, maxXmlBytes: 3 }).check).toBe('XML_SIZE');
    expect(problemOf(`${'<a>'.repeat(33)}${'</a>'.repeat(33)}`).check).toBe('XML_DEPTH');
    expect(() => parseXml(Buffer.from(`${'<a>'.repeat(32)}${'</a>'.repeat(32)}`), LIMITS)).not.toThrow();
  });

  it('reads UTF-8 (with or without BOM), ISO-8859-1, windows-1252 and UTF-16 as declared, refuses the rest', () => {
    expect(parseXml(Buffer.from('\ufeff<a>é</a>'), LIMITS).text).toBe('é');
    expect(parseXml(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>', 'latin1'), LIMITS).text).toBe('é');
    expect(parseXml(Buffer.from([...Buffer.from('<?xml version="1.0" encoding="windows-1252"?><a>'), 0x80, 0x92, ...Buffer.from('</a>')]), LIMITS).text).toBe('€’');
    expect(parseXml(Buffer.from('\ufeff<?xml version="1.0" encoding="UTF-16"?><a b="é">€</a>', 'utf16le'), LIMITS)).toMatchObject({ name: 'a', text: '€' });
    expect(problemOf(Buffer.from([0x3c, 0x61, 0x3e, 0xe9, 0x3c, 0x2f, 0x61, 0x3e])).check).toBe('XML_ENCODING');
    expect(problemOf(Buffer.from('\ufeff<?xml version="1.0" encoding="windows-1252"?><a/>', 'utf16le')).check).toBe('XML_ENCODING');
    expect(problemOf('<?xml version="1.0" encoding="Shift_JIS"?><a/>').check).toBe('XML_ENCODING');
  });

  it('refuses malformed XML', () => {
    expect(problemOf('<a><b></a>').check).toBe('XML_SYNTAX');
    expect(problemOf('').check).toBe('XML_SYNTAX');
  });

  it('peeks at the root element without reading further or expanding anything', () => {
    expect(peekRoot(Buffer.from('<?xml version="1.0"?><!-- c --><ClinicalDocument xmlns="urn:hl7-org:v3"><broken'))).toEqual({ ns: 'urn:hl7-org:v3', name: 'ClinicalDocument' });
    expect(peekRoot(Buffer.from('<!DOCTYPE x [<!ENTITY a "b">]><x/>'))).toEqual({ ns: '', name: 'x' });
    expect(peekRoot(Buffer.from('not xml'))).toBeUndefined();
  });

  it('peeks at the root whatever the encoding, even one the bytes break, so that the CDA check sees it', () => {
    const cda = { ns: 'urn:hl7-org:v3', name: 'ClinicalDocument' };
    const root = '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>écho</title></ClinicalDocument>';
    expect(peekRoot(Buffer.from(`\ufeff<?xml version="1.0" encoding="UTF-16"?>${root}`, 'utf16le'))).toEqual(cda);
    expect(peekRoot(Buffer.from(`\ufeff<?xml version="1.0" encoding="UTF-16"?>${root}`, 'utf16le').swap16())).toEqual(cda);
    // windows-1252 bytes declared UTF-8, a UTF-16 mark declared windows-1252, an unknown encoding
    expect(peekRoot(Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>${root}`, 'latin1'))).toEqual(cda);
    expect(peekRoot(Buffer.from(`\ufeff<?xml version="1.0" encoding="windows-1252"?>${root}`, 'utf16le'))).toEqual(cda);
    expect(peekRoot(Buffer.from(`<?xml version="1.0" encoding="Shift_JIS"?>${root}`))).toEqual(cda);
    // a character XML forbids, in a comment before the root
    expect(peekRoot(Buffer.from(`<!-- \u0001 -->${root}`))).toEqual(cda);
    expect(peekRoot(Buffer.from(`<?xml-stylesheet type="text/xsl" href="cda.xsl"?>${root}`))).toEqual(cda);
  });
});
