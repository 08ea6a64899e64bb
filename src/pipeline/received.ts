/** The trace header every accepted message gets (RFC 5321 §4.4), written before the body. */
import type { ClientInfo, Origin } from './types.js';

const PROTOCOL: Record<Origin, (tls: boolean) => string> = {
  'mx': (tls) => (tls ? 'ESMTPS' : 'ESMTP'),
  submission: (tls) => (tls ? 'ESMTPSA' : 'ESMTPA'),
  webmail: () => 'HTTPS',
};

/** Header-safe: printable ASCII only, bounded (a HELO name is client-controlled). */
function clean(text: string, keepSpaces = false): string {
  return text.replace(keepSpaces ? /[^\x20-\x7e]/g : /[^\x21-\x7e]/g, '').slice(0, 100);
}

export function receivedHeader(options: {
  client: ClientInfo;
  origin: Origin;
  hostname: string;
  id: string;
  recipients: string[];
  date?: Date;
}): string {
  const { client } = options;
  const from = `from ${clean(client.helo || 'unknown')} (${client.ip ? `[${clean(client.ip)}]` : 'webmail'})`;
  const tls = client.tls ? `\r\n\t(using ${clean(client.tls, true)})` : '';
  // One recipient is named; several are not, so that no copy tells of the others (RFC 5321 §7.2).
  const rcpt = options.recipients.length === 1 ? `\r\n\tfor <${options.recipients[0]}>` : '';
  const date = (options.date ?? new Date()).toUTCString().replace('GMT', '+0000');
  return `Received: ${from}\r\n\tby ${options.hostname} (mss-gateway) with ${PROTOCOL[options.origin](Boolean(client.tls))} id ${options.id}${tls}${rcpt};\r\n\t${date}\r\n`;
}
