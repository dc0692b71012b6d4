/**
 * A ChangeFeed across nodes over PostgreSQL LISTEN/NOTIFY.
 *
 * publish() hands the event to this node's subscribers at once (as LocalChangeFeed does) and
 * sends `NOTIFY portcullis_changes, '{"n":<node>,"e":<event>}'` for the other nodes. A dedicated
 * connection LISTENs (opened when the first subscriber arrives) and hands events from other
 * nodes to local subscribers; the echo of this node's own events is recognised by the node id
 * and dropped, so every subscriber sees each event once.
 *
 * Events are hints: a session resyncs from MODSEQ (changesSince). Notifications sent while the
 * LISTEN connection is down are lost, so every time LISTEN is (re)established the feed emits a
 * synthetic event per subscribed account ({kind: 'flags', mailboxId: null}) and sessions resync.
 * The connection is re-opened with exponential backoff and checked by a heartbeat query, so a
 * silently dead connection is noticed too.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { MailError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { createPool, PG_TYPES } from '../postgres/db.js';
import type { ChangeEvent, ChangeFeed } from '../store.js';
import { LocalChangeFeed } from '../local-feed.js';

export const DEFAULT_CHANNEL = 'portcullis_changes';

const KINDS = new Set<ChangeEvent['kind']>(['append', 'flags', 'expunge', 'mailbox-create', 'mailbox-delete', 'mailbox-rename', 'subscription']);

export interface PgNotifyOptions {
  /** Connection URL (postgres://…) for the LISTEN connection (and the NOTIFY pool when none is given). */
  url: string;
  /** Pool to send NOTIFY through (e.g. the store's); default: a pool of two owned by the feed. */
  pool?: pg.Pool;
  channel?: string;
  logger?: Logger;
  /** Reconnect backoff bounds in ms (default 100 … 5000). */
  backoff?: { minMs?: number; maxMs?: number };
  /** Interval of the liveness query on the LISTEN connection (default 15000 ms). */
  heartbeatMs?: number;
}

export interface PgNotifyStatus {
  listening: boolean;
  /** The PostgreSQL backend process of the LISTEN connection (null when not connected). */
  backendPid: number | null;
  /** Successful (re)connections so far. */
  connections: number;
}

/** Parses a NOTIFY payload; null for anything that is not a well-formed event. */
export function parsePayload(payload: string | undefined): { node: string; event: ChangeEvent } | null {
  if (!payload || payload.length > 8000) return null;
  let v: unknown;
  try { v = JSON.parse(payload); } catch { return null; }
  if (typeof v !== 'object' || v === null) return null;
  const { n, e } = v as { n?: unknown; e?: unknown };
  if (typeof n !== 'string' || typeof e !== 'object' || e === null) return null;
  const ev = e as Record<string, unknown>;
  if (!Number.isSafeInteger(ev.accountId)) return null;
  if (ev.mailboxId !== null && !Number.isSafeInteger(ev.mailboxId)) return null;
  if (typeof ev.kind !== 'string' || !KINDS.has(ev.kind as ChangeEvent['kind'])) return null;
  if (ev.modseq !== undefined && !Number.isSafeInteger(ev.modseq)) return null;
  const event: ChangeEvent = { accountId: ev.accountId as number, mailboxId: ev.mailboxId as number | null, kind: ev.kind as ChangeEvent['kind'] };
  if (ev.modseq !== undefined) event.modseq = ev.modseq as number;
  return { node: n, event };
}

export class PgNotifyChangeFeed implements ChangeFeed {
  /** Identifies this node's own notifications. */
  readonly nodeId = randomBytes(8).toString('hex');
  /** This node's subscribers; the feed adds the cross-node part on top. */
  private readonly local = new LocalChangeFeed();
  private readonly channel: string;
  private readonly pool: pg.Pool;
  private readonly ownPool: boolean;
  private client: pg.Client | null = null;
  private connecting = false;
  private started = false;
  private closed = false;
  private attempt = 0;
  private connections = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly opts: PgNotifyOptions) {
    this.channel = opts.channel ?? DEFAULT_CHANNEL;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel)) throw new MailError('BADINPUT', `invalid notification channel name ${JSON.stringify(this.channel)}`);
    this.ownPool = !opts.pool;
    this.pool = opts.pool ?? createPool(opts.url, { max: 2, applicationName: 'portcullis-feed-notify' });
  }

  subscribe(accountId: number, listener: (event: ChangeEvent) => void): () => void {
    const unsubscribe = this.local.subscribe(accountId, listener);
    if (!this.started && !this.closed) {
      this.started = true;
      void this.connect();
    }
    return unsubscribe;
  }

  publish(event: ChangeEvent): void {
    this.deliver(event);
    if (this.closed) return;
    const payload = JSON.stringify({ n: this.nodeId, e: event });
    const sent = this.pool.query('SELECT pg_notify($1, $2)', [this.channel, payload]).catch((err: unknown) => {
      // Other nodes miss this hint; they resync when their own connection comes back.
      this.opts.logger?.warn('change feed: NOTIFY failed', { err: (err as Error).message });
    });
    // close() waits for these, so a short-lived process (`portcullis deliver`) still tells the servers.
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  status(): PgNotifyStatus {
    const c = this.client as (pg.Client & { processID?: number | null }) | null;
    return { listening: c !== null && !this.connecting, backendPid: c?.processID ?? null, connections: this.connections };
  }

  /** Resolves once LISTEN is active (starting the connection if no one has subscribed yet). */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new MailError('UNAVAILABLE', 'the change feed is closed'));
    if (this.status().listening) return Promise.resolve();
    if (!this.started) {
      this.started = true;
      void this.connect();
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new MailError('UNAVAILABLE', 'the change feed is closed'));
    await Promise.all([...this.inFlight]);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => {});
    if (this.ownPool) await this.pool.end().catch(() => {});
  }

  private deliver(event: ChangeEvent): void {
    this.local.publish(event);
  }

  private async connect(): Promise<void> {
    if (this.closed || this.connecting || this.client) return;
    this.connecting = true;
    const client = new pg.Client({
      connectionString: this.opts.url, types: PG_TYPES, application_name: 'portcullis-feed',
      keepAlive: true, connectionTimeoutMillis: 10_000, query_timeout: 10_000,
    });
    let lost = false;
    const onLost = (err?: Error): void => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      if (this.client === client) this.client = null;
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = null;
      client.end().catch(() => {});
      if (this.closed) return;
      this.opts.logger?.warn('change feed: LISTEN connection lost, reconnecting', { err: err?.message ?? 'closed' });
      this.scheduleReconnect();
    };
    client.on('error', (err) => onLost(err));
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel) return;
      const p = parsePayload(msg.payload);
      if (!p || p.node === this.nodeId) return;
      this.deliver(p.event);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      this.connecting = false;
      onLost(err as Error);
      return;
    }
    this.connecting = false;
    if (lost) return;
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.attempt = 0;
    this.connections += 1;
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((err: unknown) => onLost(err as Error));
    }, this.opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    for (const w of this.waiters.splice(0)) w.resolve();
    // Anything published while we were not listening is lost: tell every subscribed account to resync.
    for (const accountId of this.local.accounts()) this.deliver({ accountId, mailboxId: null, kind: 'flags' });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const min = this.opts.backoff?.minMs ?? 100;
    const max = this.opts.backoff?.maxMs ?? 5_000;
    const base = Math.min(max, min * 2 ** Math.min(this.attempt, 16));
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
