/**
 * A file handed to the browser to keep, never to render from our origin: its type named (not
 * sniffed), nothing it could run, and its name in both the ASCII and the RFC 6266/5987 forms.
 */
import type { FastifyReply } from 'fastify';

export function contentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/\p{M}/gu, '').replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  // RFC 5987: what encodeURIComponent leaves as is but an ext-value may not hold, encoded too.
  const encoded = encodeURIComponent(name).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function sendDownload(reply: FastifyReply, content: Buffer, type: string, name: string) {
  return reply
    .type(type)
    .header('content-disposition', contentDisposition(name))
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(content);
}
