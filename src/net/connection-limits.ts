/**
 * How many sessions one door holds at once, in all and per client address (the way Postfix's
 * anvil counts per client): one client cannot take every place, and a flood cannot take the
 * machine. A connection over either cap is refused at once (SMTP: 421 4.7.0; IMAP: * BYE [UNAVAILABLE]) and closed.
 */
export interface ConnectionCaps {
  total: number;
  perClient: number;
}

export class ConnectionLimits {
  private open = 0;
  private readonly byClient = new Map<string, number>();

  constructor(private readonly caps: ConnectionCaps) {}

  /** Takes a place for a connection from `client`, or says which cap it would cross. */
  admit(client: string): 'total' | 'client' | undefined {
    const mine = this.byClient.get(client) ?? 0;
    if (mine >= this.caps.perClient) return 'client';
    if (this.open >= this.caps.total) return 'total';
    this.open++;
    this.byClient.set(client, mine + 1);
    return undefined;
  }

  /** Gives back the place of an admitted connection. */
  release(client: string): void {
    const mine = this.byClient.get(client) ?? 0;
    if (mine === 0) return;
    this.open--;
    if (mine === 1) this.byClient.delete(client);
    else this.byClient.set(client, mine - 1);
  }

  get size(): number {
    return this.open;
  }
}
