/**
 * A ChangeFeed across the worker processes of one machine (node:cluster), for the embedded
 * SQLite store that several workers open at once.
 *
 * A worker's publish() hands the event to its own subscribers at once (as LocalChangeFeed does)
 * and sends it to the primary over the IPC channel; the primary (relayFeedEvents) fans it out to
 * every other worker, whose IpcChangeFeed hands it to its local subscribers. Events are hints: a
 * session resyncs from MODSEQ (changesSince), so an event lost with a restarting worker only
 * delays an update. Anything on the channel that is not a well-formed feed message is ignored.
 */
import { LocalChangeFeed } from '../local-feed.js';
import type { ChangeEvent, ChangeFeed } from '../store.js';

/** The tag of feed messages on the cluster IPC channel. */
export const FEED_MESSAGE_TAG = 'portcullis:feed';

export interface FeedMessage {
  t: typeof FEED_MESSAGE_TAG;
  e: ChangeEvent;
}

const KINDS = new Set<ChangeEvent['kind']>(['append', 'flags', 'expunge', 'mailbox-create', 'mailbox-delete', 'mailbox-rename', 'subscription']);

/** The event of a feed message; null for anything else (other IPC traffic, malformed input). */
export function feedEventOf(message: unknown): ChangeEvent | null {
  if (!message || typeof message !== 'object') return null;
  const m = message as { t?: unknown; e?: unknown };
  if (m.t !== FEED_MESSAGE_TAG || !m.e || typeof m.e !== 'object') return null;
  const e = m.e as Record<string, unknown>;
  if (!Number.isSafeInteger(e.accountId)) return null;
  if (e.mailboxId !== null && !Number.isSafeInteger(e.mailboxId)) return null;
  if (!KINDS.has(e.kind as ChangeEvent['kind'])) return null;
  if (e.modseq !== undefined && !Number.isSafeInteger(e.modseq)) return null;
  const event: ChangeEvent = { accountId: e.accountId as number, mailboxId: e.mailboxId as number | null, kind: e.kind as ChangeEvent['kind'] };
  if (e.modseq !== undefined) event.modseq = e.modseq as number;
  return event;
}

/** The IPC end of a worker: `process` in a cluster worker. */
export interface IpcEndpoint {
  send?: (message: unknown) => unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  removeListener(event: 'message', listener: (message: unknown) => void): unknown;
}

export class IpcChangeFeed implements ChangeFeed {
  private readonly local = new LocalChangeFeed();
  private readonly onMessage = (message: unknown): void => {
    const event = feedEventOf(message);
    if (event) this.local.publish(event);
  };
  private sent = 0;
  private dropped = 0;

  constructor(private readonly endpoint: IpcEndpoint = process as unknown as IpcEndpoint) {
    endpoint.on('message', this.onMessage);
  }

  subscribe(accountId: number, listener: (event: ChangeEvent) => void): () => void {
    return this.local.subscribe(accountId, listener);
  }

  publish(event: ChangeEvent): void {
    this.local.publish(event);
    const message: FeedMessage = { t: FEED_MESSAGE_TAG, e: event };
    try {
      if (this.endpoint.send) {
        this.endpoint.send(message);
        this.sent++;
      } else {
        this.dropped++;
      }
    } catch {
      // channel closed (primary gone or shutting down): other workers resync on their next event
      this.dropped++;
    }
  }

  /** Stops listening on the channel (the store is closing). */
  close(): void {
    this.endpoint.removeListener('message', this.onMessage);
  }

  stats(): { sent: number; dropped: number; subscriptions: number } {
    return { sent: this.sent, dropped: this.dropped, subscriptions: this.local.size() };
  }
}

/** A worker as the primary sees it: node:cluster's Worker fits. */
export interface RelayWorker {
  id: number;
  send(message: unknown): unknown;
  isConnected(): boolean;
}

/**
 * Primary side: forwards each feed message from one worker to every other connected worker.
 * `workers()` lists the live workers; returns the handler to attach to cluster 'message'.
 */
export function relayFeedEvents(workers: () => Iterable<RelayWorker>): (from: RelayWorker, message: unknown) => void {
  return (from, message) => {
    const event = feedEventOf(message);
    if (!event) return;
    const out: FeedMessage = { t: FEED_MESSAGE_TAG, e: event };
    for (const w of workers()) {
      if (w.id === from.id || !w.isConnected()) continue;
      try {
        w.send(out);
      } catch {
        // a worker that is exiting misses the hint; its sessions are gone with it
      }
    }
  };
}
