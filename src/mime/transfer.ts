/** Content-Transfer-Encoding (RFC 2045 §6) undone, for the doors that show or hand out a part. */

/** RFC 2045 §6.7, leniently: soft line breaks dropped, =XX decoded, transport padding removed. */
export function decodeQuotedPrintable(raw: Buffer): Buffer {
  const lines = raw.toString('latin1').split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    let text = line.replace(/\r$/, '').replace(/[ \t]+$/, '');
    const soft = text.endsWith('=');
    if (soft) text = text.slice(0, -1);
    out.push(text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))));
    if (!soft && i < lines.length - 1) out.push('\r\n');
  });
  return Buffer.from(out.join(''), 'latin1');
}

/** A part's body as stored, decoded; an encoding we do not know is handed out as it is. */
export function decodeTransfer(raw: Buffer, encoding: string): Buffer {
  const name = encoding.toLowerCase();
  if (name === 'base64') return Buffer.from(raw.toString('latin1'), 'base64');
  if (name === 'quoted-printable') return decodeQuotedPrintable(raw);
  return raw;
}
