/**
 * The outbound queue: submitted messages for non-local recipients wait in the durable spool
 * (spool.ts) and a relay loop hands them to the configured smarthost with nodemailer (STARTTLS
 * or implicit TLS, optional AUTH). Temporary failures are retried with exponential backoff;
 * permanent ones, and messages still undelivered after `max-delivery-attempts`, are bounced to
 * the local sender's INBOX as an RFC 3464 report.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createTransport } from 'nodemailer';
import type { Logger } from '../core/log.js';
import type { MailboxService } from '../mailbox/types.js';
import { buildDsn, type FailedRecipient } from './dsn.js';
import type { SmtpSettings } from './settings.js';
import { Spool, type QueueEntry } from './spool.js';

export type { QueueEntry } from './spool.js';

export interface EnqueueInput {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface OutboundQueue {
  /** Stores the message durably; resolves with the queue id (only then may 250 be sent). */
  enqueue(input: EnqueueInput): Promise<string>;
  list(): Promise<QueueEntry[]>;
  /** Makes an entry due now and wakes the relay loop; false when there is no such entry. */
  retry(id: string): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  /** One relay pass over every due entry; resolves when it is done (the loop uses it; tests too). */
  runOnce(): Promise<void>;
  /** Starts the relay loop (idempotent). */
  start(): void;
  /** Stops the loop and waits for a pass in progress. */
  stop(): Promise<void>;
}

/** Outcome of one relay attempt, per recipient. */
export interface RelayResult {
  accepted: string[];
  /** Permanent refusals (5xx). */
  failed: FailedRecipient[];
  /** Temporary failures (4xx, network): retried later. */
  deferred: string[];
  /** Why recipients were deferred. */
  error: string | null;
}

export type Relay = (entry: QueueEntry, raw: Buffer, settings: SmtpSettings) => Promise<RelayResult>;

export interface OutboundQueueOptions {
  dataDir: string;
  settings: () => SmtpSettings;
  /** Where bounces go (the sender's INBOX); null for a CLI that only lists/edits the spool. */
  mailboxes: MailboxService | null;
  logger: Logger;
  /** Longest wait between two scans of the spool (the CLI edits it from outside); default 10 s. */
  pollMs?: number;
  /** Replaces the nodemailer relay (tests of the backoff and bounce logic). */
  relay?: Relay;
}

const ENHANCED = /\b([245]\.\d{1,3}\.\d{1,3})\b/;

function oneLine(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, max);
}

function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  return m ? { host: m[1], port: Number(m[2]) } : null;
}

interface SmtpLikeError {
  message?: string;
  response?: string;
  responseCode?: number;
  rejected?: string[];
  rejectedErrors?: Array<{ recipient?: string; response?: string; responseCode?: number; message?: string }>;
}

/** Relays one message to the smarthost with nodemailer. */
export const smarthostRelay: Relay = async (entry, raw, s) => {
  const target = parseHostPort(s.smarthost);
  if (!target) return { accepted: [], failed: [], deferred: [...entry.to], error: 'no smarthost configured' };
  const auth = s.smarthostAuthUser
    ? { user: s.smarthostAuthUser, pass: s.smarthostAuthPasswordFile ? readFileSync(s.smarthostAuthPasswordFile, 'utf8').split(/\r?\n/)[0] : '' }
    : undefined;
  const transport = createTransport({
    host: target.host,
    port: target.port,
    secure: s.smarthostTls === 'implicit',
    requireTLS: s.smarthostTls === 'starttls',
    ignoreTLS: s.smarthostTls === 'none',
    name: s.fqdn,
    ...(auth ? { auth } : {}),
    tls: { rejectUnauthorized: s.smarthostTlsVerify, minVersion: 'TLSv1.2', ...(isIP(target.host) ? {} : { servername: target.host }) },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
    logger: false,
    debug: false,
  });
  const remoteMta = target.host;
  const classify = (rcpt: string, code: number | undefined, response: string, out: RelayResult): void => {
    if (code !== undefined && code >= 500) {
      out.failed.push({ address: rcpt, status: ENHANCED.exec(response)?.[1] ?? '5.0.0', diagnostic: oneLine(response), remoteMta });
    } else {
      out.deferred.push(rcpt);
      out.error = oneLine(response);
    }
  };
  try {
    const info = (await transport.sendMail({ envelope: { from: entry.from, to: entry.to }, raw })) as {
      accepted?: Array<string | { address: string }>;
      rejectedErrors?: SmtpLikeError['rejectedErrors'];
      rejected?: Array<string | { address: string }>;
    };
    const out: RelayResult = { accepted: [], failed: [], deferred: [], error: null };
    const addr = (a: string | { address: string }): string => (typeof a === 'string' ? a : a.address);
    out.accepted = (info.accepted ?? []).map(addr);
    const errs = info.rejectedErrors ?? [];
    for (const r of (info.rejected ?? []).map(addr)) {
      const e = errs.find((x) => x.recipient === r);
      classify(r, e?.responseCode, e?.response ?? e?.message ?? 'rejected', out);
    }
    return out;
  } catch (e) {
    const err = e as SmtpLikeError;
    const out: RelayResult = { accepted: [], failed: [], deferred: [], error: null };
    if (err.rejectedErrors?.length) {
      for (const r of entry.to) {
        const x = err.rejectedErrors.find((y) => y.recipient === r);
        if (x) classify(r, x.responseCode, x.response ?? x.message ?? 'rejected', out);
        else out.deferred.push(r);
      }
      out.error ??= oneLine(err.response ?? err.message ?? 'rejected');
      return out;
    }
    for (const r of entry.to) classify(r, err.responseCode, err.response ?? err.message ?? String(e), out);
    return out;
  } finally {
    transport.close();
  }
};

/** Wait before the next attempt after `attempts` failed ones. */
export function backoffSeconds(attempts: number, s: Pick<SmtpSettings, 'retryInitialInterval' | 'retryMaxInterval'>): number {
  const exp = Math.min(attempts - 1, 30);
  return Math.min(s.retryInitialInterval * 2 ** Math.max(0, exp), s.retryMaxInterval);
}

export function openOutboundQueue(opts: OutboundQueueOptions): OutboundQueue {
  const spool = Spool.forDataDir(opts.dataDir);
  const relay = opts.relay ?? smarthostRelay;
  const log = opts.logger.child({ component: 'queue' });
  const pollMs = opts.pollMs ?? 10_000;
  let pass: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let running = false;

  const bounce = async (entry: QueueEntry, raw: Buffer, failed: FailedRecipient[]): Promise<void> => {
    if (!failed.length) return;
    log.warn('queue.bounce', { id: entry.id, recipients: failed.map((f) => f.address), status: failed.map((f) => f.status) });
    // A message sent with the null sender (a bounce, a read receipt) is never bounced (RFC 5321 §4.5.5).
    if (!opts.mailboxes || !entry.from) return;
    const s = opts.settings();
    const dsn = buildDsn({ reportingMta: s.fqdn, sender: entry.from, original: raw, arrivalDate: new Date(entry.createdAt), recipients: failed, envelopeId: entry.id });
    try {
      await opts.mailboxes.deliver(entry.from, dsn);
    } catch (err) {
      log.error('queue.bounce_undeliverable', { id: entry.id, sender: entry.from, err });
    }
  };

  const attempt = async (entry: QueueEntry): Promise<void> => {
    const s = opts.settings();
    if (!s.smarthost) {
      if (entry.lastError !== 'no smarthost configured') await spool.update({ ...entry, lastError: 'no smarthost configured' });
      return;
    }
    const raw = await spool.readMessage(entry.id);
    const result = await relay(entry, raw, s);
    const attempts = entry.attempts + 1;
    let failed = result.failed;
    let pending = result.deferred;
    if (pending.length && attempts >= s.maxDeliveryAttempts) {
      const why = result.error ?? 'temporary failure';
      failed = failed.concat(pending.map((address) => ({ address, status: '5.4.7', diagnostic: `gave up after ${attempts} attempts: ${why}` })));
      pending = [];
    }
    log.info('queue.attempt', { id: entry.id, attempt: attempts, accepted: result.accepted.length, failed: failed.length, deferred: pending.length, error: result.error });
    if (pending.length) {
      const next = new Date(Date.now() + backoffSeconds(attempts, s) * 1000);
      await spool.update({ ...entry, to: pending, attempts, nextAttemptAt: next.toISOString(), lastError: result.error });
    }
    await bounce(entry, raw, failed);
    if (!pending.length) await spool.remove(entry.id);
  };

  const doPass = async (): Promise<void> => {
    const now = Date.now();
    const entries = await spool.list((id, err) => log.error('queue.bad_entry', { id, err }));
    for (const entry of entries) {
      if (Date.parse(entry.nextAttemptAt) > now) continue;
      try {
        await attempt(entry);
      } catch (err) {
        log.error('queue.attempt_error', { id: entry.id, err });
      }
    }
  };

  const schedule = async (): Promise<void> => {
    if (!running) return;
    if (timer) clearTimeout(timer);
    let wait = pollMs;
    try {
      const entries = await spool.list();
      for (const e of entries) wait = Math.min(wait, Math.max(0, Date.parse(e.nextAttemptAt) - Date.now()));
    } catch {
      // keep the poll interval
    }
    if (!running) return;
    timer = setTimeout(() => void queue.runOnce(), Math.max(wait, 50));
    timer.unref();
  };

  const queue: OutboundQueue = {
    async enqueue(input: EnqueueInput): Promise<string> {
      const entry = await spool.add(input.from, input.to, input.raw);
      log.info('queue.enqueued', { id: entry.id, size: entry.size, recipients: entry.to.length });
      if (running) setImmediate(() => void queue.runOnce());
      return entry.id;
    },
    list: () => spool.list(),
    async retry(id: string): Promise<boolean> {
      const e = await spool.get(id);
      if (!e) return false;
      await spool.update({ ...e, nextAttemptAt: new Date().toISOString() });
      if (running) setImmediate(() => void queue.runOnce());
      return true;
    },
    remove: (id: string) => spool.remove(id),
    runOnce(): Promise<void> {
      if (pass) {
        again = true;
        return pass;
      }
      pass = (async () => {
        do {
          again = false;
          await doPass();
        } while (again);
      })()
        .catch((err: unknown) => log.error('queue.pass_error', { err }))
        .finally(() => {
          pass = null;
          void schedule();
        });
      return pass;
    },
    start(): void {
      if (running) return;
      running = true;
      void spool.sweepOrphans().catch(() => 0);
      void queue.runOnce();
    },
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      if (pass) await pass;
    },
  };
  return queue;
}
