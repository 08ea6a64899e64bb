/**
 * Bytes in a declared charset to text. Unknown or missing charsets are read as UTF-8 when the
 * bytes are valid UTF-8, else as windows-1252 (what mislabelled French mail nearly always is).
 */
import iconv from 'iconv-lite';

const ALIASES: Record<string, string> = { 'us-ascii': 'utf-8', ascii: 'utf-8', 'iso-8859-1': 'windows-1252', latin1: 'windows-1252' };

export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const name = (charset ?? '').trim().toLowerCase();
  const wanted = ALIASES[name] ?? name;
  if (wanted && wanted !== 'utf-8' && wanted !== 'utf8' && iconv.encodingExists(wanted)) return iconv.decode(bytes, wanted);
  const text = bytes.toString('utf8');
  return text.includes('\ufffd') && !bytes.includes(Buffer.from('\ufffd', 'utf8')) ? iconv.decode(bytes, 'windows-1252') : text;
}
