/**
 * The servers a professional's mail client connects to, as the client-setup documents name
 * them: the configured hostname and the ports the doors really listen on (a configured 0 means
 * "any free port", so only the running door knows its port).
 */

export interface ServerEntry {
  port: number;
  /** the names of Mozilla's autoconfig format: SSL is implicit TLS */
  socketType: 'SSL' | 'STARTTLS';
}

export interface AccountServers {
  hostname: string;
  /** IMAP, preferred first: implicit TLS (RFC 8314), then STARTTLS */
  imap: ServerEntry[];
  /** SMTP submission */
  smtp: ServerEntry[];
}

export type SetupDoor = 'imap' | 'imaps' | 'submission';

export function accountServers(
  hostname: string,
  configured: Record<SetupDoor, number>,
  live: Partial<Record<SetupDoor, number>>,
): AccountServers {
  // A door not running yet is named by its configured port, unless that is 0 (unknown).
  const port = (door: SetupDoor) => live[door] ?? (configured[door] || undefined);
  const entry = (door: SetupDoor, socketType: ServerEntry['socketType']): ServerEntry[] => {
    const p = port(door);
    return p ? [{ port: p, socketType }] : [];
  };
  return {
    hostname,
    imap: [...entry('imaps', 'SSL'), ...entry('imap', 'STARTTLS')],
    smtp: entry('submission', 'STARTTLS'),
  };
}
