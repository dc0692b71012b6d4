/**
 * The security event log: always on, small, one JSON login event per line in
 * DATA_DIR/logs/security/security-YYYYMMDD.jsonl (UTC days), kept 90 days and at most 200 MiB
 * by default. It backs `portcullis logs insecure-logins` and `logs failed-logins`, so those
 * reports work even with protocol logging off. Attack detections of the failure throttle are kept
 * in the same files as lines with "event":"auth-attack-detected" (the login reports skip them). Appends are queued and batched, never blocking
 * a session.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import type { Protocol } from '../auth/types.js';
import { applyRetention, dayKey, listLogFiles } from './log-files.js';
import { sanitiseUser, type AttackEvent, type LoginEvent, type SecurityLog } from './types.js';
import { countLogin } from './metrics.js';
import { createBatchQueue } from './batch-queue.js';

export const SECURITY_LOG_PATTERN = /^security-(\d{8})\.jsonl$/;
export const DEFAULT_SECURITY_MAX_AGE_DAYS = 90;
export const DEFAULT_SECURITY_MAX_TOTAL_BYTES = 200 * 1024 * 1024;
const MAX_QUEUED = 100_000;

export function securityLogDir(dataDir: string): string {
  return join(dataDir, 'logs', 'security');
}

export interface SecurityLogOptions {
  dir: string;
  maxAgeDays?: number;
  maxTotalBytes?: number;
  now?: () => Date;
  logger?: Logger;
}

/** The stored form of a LoginEvent (one JSON object per line): the time as ISO text. */
export type StoredLoginEvent = Omit<LoginEvent, 'time'> & { time: string };

export function toStored(e: LoginEvent): StoredLoginEvent {
  return {
    time: e.time.toISOString(), protocol: e.protocol, port: e.port, sessionId: e.sessionId,
    clientAddress: e.clientAddress, user: sanitiseUser(e.user), mechanism: e.mechanism.slice(0, 40),
    result: e.result, reason: e.reason, secure: e.secure, tlsMode: e.tlsMode,
    tlsVersion: e.tlsVersion, tlsCipher: e.tlsCipher,
  };
}

export function createSecurityLog(opts: SecurityLogOptions): SecurityLog {
  const now = opts.now ?? (() => new Date());
  const limits = {
    maxAgeDays: opts.maxAgeDays ?? DEFAULT_SECURITY_MAX_AGE_DAYS,
    maxTotalBytes: opts.maxTotalBytes ?? DEFAULT_SECURITY_MAX_TOTAL_BYTES,
  };
  let currentDay: string | null = null;
  let closed = false;

  async function writeBatch(batch: Array<{ day: string; line: string }>): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      const day = batch[i].day;
      let text = '';
      while (i < batch.length && batch[i].day === day) text += batch[i++].line;
      const name = `security-${day}.jsonl`;
      if (day !== currentDay) await mkdir(opts.dir, { recursive: true, mode: 0o700 });
      await appendFile(join(opts.dir, name), text, { mode: 0o600 });
      if (day !== currentDay) {
        currentDay = day;
        const deleted = await applyRetention(opts.dir, SECURITY_LOG_PATTERN, limits, name, now(), 'daily');
        if (deleted.length) opts.logger?.info('security-log.retention', { deleted });
      }
    }
  }

  const pending = createBatchQueue<{ day: string; line: string }>({
    maxQueued: MAX_QUEUED,
    writeBatch,
    onError: (err, events) => opts.logger?.error('security-log.write-failed', { err, events }),
    onDropped: (events) => opts.logger?.warn('security-log.events-dropped', { events }),
  });
  const flush = (): Promise<void> => pending.flush();

  return {
    record(event: LoginEvent): void {
      if (closed) return;
      countLogin(event);
      pending.push({ day: dayKey(now()), line: JSON.stringify(toStored(event)) + '\n' });
    },
    recordAttack(event: AttackEvent): void {
      if (closed) return;
      const stored = { time: event.time.toISOString(), event: 'auth-attack-detected', kind: event.kind, network: event.network, user: sanitiseUser(event.user), count: event.count };
      pending.push({ day: dayKey(now()), line: JSON.stringify(stored) + '\n' });
    },
    flush,
    async close(): Promise<void> {
      closed = true;
      await flush();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Readers

export interface ReportFilter {
  protocol?: Protocol;
  /** Only events at or after this time. */
  since?: Date;
}

export interface LoginReportRow {
  user: string;
  clientAddress: string;
  protocol: Protocol;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface FailedLoginRow extends LoginReportRow {
  /** Count per failure reason (policy, credentials, throttled, ...). */
  reasons: Record<string, number>;
}

function parseEvent(line: string): StoredLoginEvent | null {
  if (!line.trim()) return null;
  try {
    const e = JSON.parse(line) as Partial<StoredLoginEvent>;
    if (typeof e.time !== 'string' || typeof e.protocol !== 'string' || typeof e.result !== 'string') return null;
    if (Number.isNaN(Date.parse(e.time))) return null;
    return e as StoredLoginEvent;
  } catch {
    return null;
  }
}

/** Every stored event matching the filter, oldest file first. Unreadable lines are skipped. */
export async function* readLoginEvents(dir: string, filter: ReportFilter = {}): AsyncGenerator<StoredLoginEvent> {
  const since = filter.since?.getTime();
  for (const f of await listLogFiles(dir, SECURITY_LOG_PATTERN)) {
    // A day file holds events of that UTC day only: skip whole days before `since`.
    if (since !== undefined && f.start.getTime() + 86_400_000 <= since) continue;
    const lines = createInterface({ input: createReadStream(join(dir, f.name), { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      const e = parseEvent(line);
      if (!e) continue;
      if (filter.protocol && e.protocol !== filter.protocol) continue;
      if (since !== undefined && Date.parse(e.time) < since) continue;
      yield e;
    }
  }
}

async function aggregate<R extends LoginReportRow>(
  events: AsyncIterable<StoredLoginEvent>, keep: (e: StoredLoginEvent) => boolean,
  extra: (row: R | undefined, e: StoredLoginEvent) => Partial<R>,
): Promise<R[]> {
  const rows = new Map<string, R>();
  for await (const e of events) {
    if (!keep(e)) continue;
    const key = JSON.stringify([e.user, e.clientAddress, e.protocol]);
    const row = rows.get(key);
    if (!row) {
      rows.set(key, { user: e.user, clientAddress: e.clientAddress, protocol: e.protocol, count: 1, firstSeen: e.time, lastSeen: e.time, ...extra(undefined, e) } as R);
      continue;
    }
    row.count++;
    if (Date.parse(e.time) < Date.parse(row.firstSeen)) row.firstSeen = e.time;
    if (Date.parse(e.time) > Date.parse(row.lastSeen)) row.lastSeen = e.time;
    Object.assign(row, extra(row, e));
  }
  return [...rows.values()].sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen) || a.user.localeCompare(b.user));
}

/** Successful logins on connections without TLS, per user, client address and protocol; most recent first. */
export async function insecureLogins(dir: string, filter: ReportFilter = {}): Promise<LoginReportRow[]> {
  return aggregate<LoginReportRow>(readLoginEvents(dir, filter), (e) => e.result === 'success' && e.secure === false, () => ({}));
}

/** Failed logins per user, client address and protocol, with counts per reason; most recent first. */
export async function failedLogins(dir: string, filter: ReportFilter = {}): Promise<FailedLoginRow[]> {
  return aggregate<FailedLoginRow>(readLoginEvents(dir, filter), (e) => e.result === 'failure', (row, e) => {
    const reasons = { ...(row?.reasons ?? {}) };
    const reason = e.reason || 'unknown';
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    return { reasons };
  });
}
