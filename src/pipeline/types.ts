/** The vocabulary shared by the doors and the pipeline. */
import type { Origin } from '../domain/policy.js';
import type { Refusal } from '../domain/refusals.js';

export type { Origin };

/** What a door knows of the client, for the Received: header and the audit trail. */
export interface ClientInfo {
  ip?: string;
  helo?: string;
  /** e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"; absent on a clear connection */
  tls?: string;
  /** the client certificate presented during TLS: verified against the trusted CA or not */
  certificate?: { authorized: boolean; names: string[] };
}

export interface SenderInput {
  origin: Origin;
  /** the envelope sender (MAIL FROM); empty for a bounce */
  address: string;
  /** the mailbox the session logged in as (submission, webmail) */
  authenticatedAs?: string;
  client: ClientInfo;
  /** RFC 3461 ENVID, kept for delivery status notifications */
  envelopeId?: string | null;
  /**
   * webmail: documents of the sender's own record attached to the message (row ids); the
   * pipeline reads them from the record itself, and rule 6 may count them as prescriptions
   */
  recordDocumentIds?: number[];
  /** a read receipt the webmail sends for the reader: no copy in Sent, no conversation of its own */
  receipt?: boolean;
}

export type Outcome =
  | { accepted: true; messageId: string; queueId: string; recipients: string[] }
  | { accepted: false; refusal: Refusal };
