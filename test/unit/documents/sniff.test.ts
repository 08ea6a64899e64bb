import { describe, expect, it } from 'vitest';
import { buildJpeg, buildPdf, buildPng, buildXdm } from '../../../fixtures/builders.js';
import { CITIZEN_FORMATS, sniff, type FileKind } from '../../../src/documents/sniff.js';

describe('format recognition by content', () => {
  const cases: [string, Buffer, FileKind][] = [
    ['a PDF', buildPdf(), 'pdf'],
    ['a JPEG', buildJpeg(), 'jpeg'],
    ['a PNG', buildPng(), 'png'],
    ['a little-endian TIFF', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), 'tiff'],
    ['a big-endian TIFF', Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]), 'tiff'],
    ['RTF', Buffer.from('{\\rtf1\\ansi\\deff0 Bonjour}'), 'rtf'],
    ['UTF-8 text', Buffer.from('Résultats : normaux\n\tà revoir dans 6 mois\f'), 'txt'],
    ['Latin-1 text', Buffer.from('Résultats normaux', 'latin1'), 'txt'],
    ['an empty file', Buffer.alloc(0), 'txt'],
    ['text starting with "<" that is not markup', Buffer.from('<3 merci docteur'), 'txt'],
    ['an XML declaration', Buffer.from('<?xml version="1.0"?><a/>'), 'xml'],
    ['XML after a BOM and blank lines', Buffer.from('\ufeff\n\n<ClinicalDocument/>'), 'xml'],
    ['HTML', Buffer.from('<!DOCTYPE html><html></html>'), 'html'],
    ['XHTML', Buffer.from('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"></html>'), 'html'],
    ['a bare script', Buffer.from('  <script>alert(1)</script>'), 'html'],
    ['a GIF', Buffer.from('GIF89a'), 'gif'],
    ['a Windows executable', Buffer.from('MZ\x90\x00', 'latin1'), 'windows-executable'],
    ['an ELF executable', Buffer.from('\x7fELF\x02\x01', 'latin1'), 'elf-executable'],
    ['text with NUL bytes (UTF-16 without byte order mark)', Buffer.from('bonjour', 'utf16le'), 'binary'],
    ['UTF-16 LE text with its byte order mark', Buffer.from('\ufeffRésultats normaux\r\n', 'utf16le'), 'txt'],
    ['UTF-16 BE text with its byte order mark', Buffer.from('\ufeffRésultats normaux\r\n', 'utf16le').swap16(), 'txt'],
    ['UTF-16 XML with its byte order mark', Buffer.from('\ufeff<?xml version="1.0" encoding="UTF-16"?><ClinicalDocument/>', 'utf16le'), 'xml'],
    ['UTF-16 XML declared without byte order mark', Buffer.from('<?xml version="1.0" encoding="UTF-16LE"?><a/>', 'utf16le'), 'xml'],
    ['UTF-16 HTML', Buffer.from('\ufeff<html><script>alert(1)</script></html>', 'utf16le'), 'html'],
    ['a byte order mark before binary data', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('\u0001\u0002', 'utf16le')]), 'binary'],
    ['a UTF-32 byte order mark', Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x3c, 0, 0, 0]), 'binary'],
    ['XML that starts with a stylesheet instruction', Buffer.from('<?xml-stylesheet type="text/xsl" href="cda.xsl"?><ClinicalDocument/>'), 'xml'],
    ['text with an escape character', Buffer.from('\x1b[31mrouge'), 'binary'],
  ];
  it.each(cases)('%s → %s', (_, content, kind) => {
    expect(sniff(content)).toBe(kind);
  });

  it('recognises a zip', async () => {
    expect(sniff(await buildXdm())).toBe('zip');
  });

  it('allows exactly PDF, JPEG, PNG, TIFF, TXT and RTF to citizens', () => {
    expect([...CITIZEN_FORMATS].sort()).toEqual(['jpeg', 'pdf', 'png', 'rtf', 'tiff', 'txt']);
  });
});
