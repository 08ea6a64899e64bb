/**
 * What the pipeline's parts share: its dependencies, the recipient as accepted at RCPT TO, and
 * the contract of local delivery that the relay uses for the messages it generates (DSNs).
 * Kept apart so that the parts import this file, not each other.
 */
import type { Config } from '../config.js';
import type { Condition } from '../domain/policy.js';
import type { Logger } from '../log.js';
import type { BlobStore, Store } from '../store/types.js';
import type { AddressFacts, FactFinder } from './facts.js';

export interface PipelineEvents {
  /** a delivery was committed; the workers that have queued work are woken */
  committed(counts: { relay: number; notify: number }): void;
}

export interface PipelineDeps {
  store: Store;
  blobs: BlobStore;
  config: Config;
  log: Logger;
  facts: FactFinder;
  events: PipelineEvents;
}

export interface AcceptedRecipient {
  address: string;
  facts: AddressFacts;
  conditions: Condition[];
}

/** Puts a message generated here (a DSN) into a local mailbox; implemented by the pipeline. */
export type DeliverLocal = (message: {
  raw: Buffer;
  mailbox: string;
  envelopeSender: string;
  audit: { action: string; outcome: string; detail?: string };
}) => Promise<void>;
