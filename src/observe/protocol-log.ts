/**
 * Per-protocol command logs in the Exchange protocol-log CSV layout, plus tls, authMech and
 * secure columns. Rows are queued in memory and appended asynchronously in batches, so a
 * session never waits on the disk. Credentials are masked here, whatever the caller passed.
 * Roll-over by time or size; after each roll-over, and on a timer while the server is quiet, the
 * oldest files beyond the age or total-size limit are deleted (never a writer's current file).
 * With a total-size limit, a file also rolls over before it would hold more than an eighth of
 * it, so the directory stays within the limit between time roll-overs. Under `serve --workers N`
 * each worker writes its own files (the slot in the name), so no two processes share a file.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { accessSync, chownSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../core/log.js';
import { ConfigError, type ProtocolSettings } from '../config/config.js';
import { applyRetention, hourKey, listLogFiles, periodStart, type RollOver } from './log-files.js';
import { sanitiseUser, type ProtocolLog, type ProtocolLogRow } from './types.js';
import { createBatchQueue } from './batch-queue.js';

export const PROTOCOL_LOG_FIELDS = [
  'dateTime', 'sessionId', 'seqNumber', 'sIp', 'cIp', 'user', 'duration', 'rqsize', 'rpsize',
  'command', 'parameters', 'context', 'tls', 'authMech', 'secure',
] as const;

/** Longest parameters value kept; longer ones are cut (an APPEND line is not worth megabytes). */
export const MAX_PARAMETERS = 1024;
/** Most rows queued while the disk is slow; beyond it rows are dropped and counted. */
const MAX_QUEUED = 100_000;

export interface ProtocolLogOptions {
  dir: string;
  /** "imap4", "pop3", "smtp": the file prefix is its upper case (IMAP4yyyyMMddHH-N.LOG). */
  protocol: string;
  enabled: () => boolean;
  rollOver: RollOver;
  /** With a time roll-over: also start a new file when one would grow beyond this; 0/absent: never. */
  maxFileBytes?: number;
  /** 0: no age limit. */
  maxAgeDays: number;
  /** 0: no size limit. */
  maxTotalBytes: number;
  /** The worker slot of `serve --workers N` (in the file name); null/absent: the only writer. */
  writer?: number | null;
  /** How often the age and size limits are applied besides at roll-over (default 15 minutes). */
  sweepIntervalMs?: number;
  now?: () => Date;
  logger?: Logger;
  version?: string;
}

/**
 * Where a protocol's logs live: the log-file-location setting when given, else
 * DATA_DIR/logs/<protocol> (imap4, pop3, smtp). The server, `logs` and the analyzer all ask here.
 */
export function protocolLogDir(dataDir: string, protocol: string, location = ''): string {
  return location || join(dataDir, 'logs', protocol.toLowerCase());
}

/**
 * protocolLogDir, with a configured log-file-location created now (0700) so that a directory
 * the server cannot create is a clear error at start, not a lost log later. The default
 * directory is still made at the first row (after privileges are dropped).
 */
export function preparedProtocolLogDir(dataDir: string, protocol: string, location = ''): string {
  const dir = protocolLogDir(dataDir, protocol, location);
  if (!location) return dir;
  try {
    const made = mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Started as root (to drop to run-as-user later): what we made belongs to the data dir's owner.
    if (made && process.getuid?.() === 0) {
      const owner = statSync(dataDir);
      for (let d = dir; d.startsWith(made); d = dirname(d)) chownSync(d, owner.uid, owner.gid);
    }
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`log-file-location: cannot create or write ${dir} for the ${protocol} protocol log (${reason}) (allowed: an absolute path of a directory the server can create and write, or empty for DATA_DIR/logs/${protocol.toLowerCase()})`);
  }
  return dir;
}

/** Quotes one CSV field when needed; control characters become visible escapes. */
export function csvField(value: string): string {
  // eslint-disable-next-line no-control-regex
  const v = value.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return /[",]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Reads one IMAP/POP3 argument token (quoted string or atom) from the start of `s`. */
function firstToken(s: string): { token: string; rest: string } {
  if (s.startsWith('"')) {
    let i = 1;
    while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
    return { token: s.slice(0, Math.min(i + 1, s.length)), rest: s.slice(i + 1).trimStart() };
  }
  const sp = s.indexOf(' ');
  return sp < 0 ? { token: s, rest: '' } : { token: s.slice(0, sp), rest: s.slice(sp + 1).trimStart() };
}

/**
 * The parameters as they may be logged. LOGIN and APOP keep the user name; AUTH/AUTHENTICATE keep the
 * mechanism name; PASS and SASL continuation lines ("*SASL*") keep nothing.
 */
export function maskParameters(command: string, parameters: string): string {
  const cmd = command.toUpperCase();
  if (parameters === '') return '';
  switch (cmd) {
    case 'PASS':
    case '*SASL*':
      return '***';
    case 'LOGIN':
    case 'APOP': { // APOP's digest is MD5(timestamp + password): crackable offline
      const { token } = firstToken(parameters);
      return `${token} ***`;
    }
    case 'AUTH':
    case 'AUTHENTICATE': {
      const { token, rest } = firstToken(parameters);
      const mech = /^[A-Za-z0-9_-]{1,40}$/.test(token) ? token : '***';
      if (mech === '***') return '***';
      return rest ? `${mech} ***` : mech;
    }
    default:
      return parameters;
  }
}

export function formatRow(row: ProtocolLogRow): string {
  let params = maskParameters(row.command, row.parameters);
  if (params.length > MAX_PARAMETERS) params = params.slice(0, MAX_PARAMETERS) + '…';
  const cells = [
    row.dateTime.toISOString(), row.sessionId, String(row.seqNumber), row.sIp, row.cIp, sanitiseUser(row.user),
    String(Math.max(0, Math.round(row.duration))), String(row.rqsize), String(row.rpsize),
    row.command, params, row.context, row.tls, row.authMech, row.secure ? 'true' : 'false',
  ];
  return cells.map(csvField).join(',') + '\r\n';
}

function header(protocol: string, version: string, created: Date): string {
  return [
    '#Software: Portcullis',
    `#Version: ${version}`,
    `#Log-type: ${protocol.toUpperCase()} Protocol Log`,
    `#Date: ${created.toISOString()}`,
    `#Fields: ${PROTOCOL_LOG_FIELDS.join(',')}`,
  ].join('\r\n') + '\r\n';
}

/**
 * The file-name pattern of one protocol's logs: PREFIX + yyyyMMddHH + '-' + N + '.LOG', or with a
 * worker slot PREFIX + yyyyMMddHH + '-w' + slot + '-' + N + '.LOG'.
 */
export function protocolLogPattern(protocol: string): RegExp {
  const prefix = protocol.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return new RegExp(`^${prefix}(?<key>\\d{10})-(?:w(?<writer>\\d+)-)?(?<seq>\\d+)\\.LOG$`);
}

/** The name of a protocol-log file. */
export function protocolLogName(prefix: string, key: string, writer: number | null, seq: number): string {
  return writer === null ? `${prefix}${key}-${seq}.LOG` : `${prefix}${key}-w${writer}-${seq}.LOG`;
}

/** Share of the total-size limit one file may reach when no per-file quota is set. */
const IMPLICIT_FILE_SHARE = 8;
const DEFAULT_SWEEP_MS = 15 * 60_000;

/** Protocol-log options from a protocol's settings (log-file-roll-over-settings and friends). */
export function protocolLogLimits(s: Pick<ProtocolSettings, 'logFileRollOverSettings' | 'logPerFileSizeQuota' | 'protocolLogMaxAge' | 'protocolLogMaxDirectorySize'>): Pick<ProtocolLogOptions, 'rollOver' | 'maxFileBytes' | 'maxAgeDays' | 'maxTotalBytes'> {
  return {
    rollOver: (s.logFileRollOverSettings ?? 'Daily').toLowerCase() as RollOver,
    maxFileBytes: s.logPerFileSizeQuota ?? 0,
    maxAgeDays: s.protocolLogMaxAge ?? 0,
    maxTotalBytes: s.protocolLogMaxDirectorySize ?? 0,
  };
}

interface Queued { time: Date; line: string }
interface CurrentFile { name: string; periodKey: string; size: number }

export function createProtocolLog(opts: ProtocolLogOptions): ProtocolLog {
  const now = opts.now ?? (() => new Date());
  const prefix = opts.protocol.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const pattern = protocolLogPattern(opts.protocol);
  const timed = typeof opts.rollOver === 'string';
  const writer = opts.writer ?? null;
  const ownWriter = writer === null ? '' : String(writer);
  const cap = Math.max(0, opts.maxTotalBytes);
  const quota = typeof opts.rollOver === 'object' ? Math.max(1, opts.rollOver.sizeBytes) : Math.max(0, opts.maxFileBytes ?? 0);
  // With a directory limit no file may outgrow it: without a quota, a file holds at most an eighth.
  const sizeLimit = cap ? Math.min(quota || Infinity, Math.max(1, Math.floor(cap / IMPLICIT_FILE_SHARE))) : quota;
  // At a roll-over, older files are trimmed so the new file can still fill up within the limit.
  const rollBudget = cap ? Math.max(1, cap - sizeLimit) : 0;
  let current: CurrentFile | null = null;
  let closed = false;
  let madeDir = false;

  async function roll(time: Date): Promise<CurrentFile> {
    if (!madeDir) {
      await mkdir(opts.dir, { recursive: true, mode: 0o700 });
      madeDir = true;
    }
    const start = periodStart(time, opts.rollOver);
    const key = hourKey(start);
    // Never append to a file from an earlier run or period: the next free sequence number.
    const existing = await listLogFiles(opts.dir, pattern);
    const seq = 1 + existing.filter((f) => f.writer === ownWriter && hourKey(f.start) === key).reduce((m, f) => Math.max(m, f.seq), 0);
    const name = protocolLogName(prefix, key, writer, seq);
    const text = header(prefix, opts.version ?? '0.1.0', time);
    await appendFile(join(opts.dir, name), text, { mode: 0o600 });
    const file = { name, periodKey: key, size: Buffer.byteLength(text) };
    await retain(name, rollBudget, time);
    return file;
  }

  async function retain(currentName: string | null, maxTotalBytes: number, time: Date): Promise<void> {
    const deleted = await applyRetention(opts.dir, pattern, { maxAgeDays: opts.maxAgeDays, maxTotalBytes }, currentName, time, opts.rollOver);
    if (deleted.length) opts.logger?.info('protocol-log.retention', { protocol: opts.protocol, deleted });
  }

  // A quiet server rolls over seldom: the limits are also applied on a timer.
  let sweeping = false;
  const sweep = async (): Promise<void> => {
    if (sweeping || closed) return;
    sweeping = true;
    try {
      await retain(current?.name ?? null, cap, now());
    } catch (err) {
      opts.logger?.error('protocol-log.retention-failed', { protocol: opts.protocol, err });
    } finally {
      sweeping = false;
    }
  };
  const sweeper = opts.maxAgeDays > 0 || cap > 0 ? setInterval(() => void sweep(), opts.sweepIntervalMs ?? DEFAULT_SWEEP_MS) : null;
  sweeper?.unref();

  function needsRoll(file: CurrentFile | null, q: Queued, bytes: number): boolean {
    if (!file) return true;
    if (sizeLimit && file.size + bytes > sizeLimit) return true;
    return timed && hourKey(periodStart(q.time, opts.rollOver)) !== file.periodKey;
  }

  async function writeBatch(batch: Queued[]): Promise<void> {
    let chunk = '';
    const emit = async (): Promise<void> => {
      if (chunk && current) await appendFile(join(opts.dir, current.name), chunk);
      chunk = '';
    };
    for (const q of batch) {
      const bytes = Buffer.byteLength(q.line);
      if (needsRoll(current, q, bytes)) {
        await emit();
        current = await roll(q.time);
      }
      chunk += q.line;
      current!.size += bytes;
    }
    await emit();
  }

  const pending = createBatchQueue<Queued>({
    maxQueued: MAX_QUEUED,
    writeBatch,
    onError: (err, rows) => {
      current = null; // reopen (a fresh file) next time
      opts.logger?.error('protocol-log.write-failed', { protocol: opts.protocol, err, rows });
    },
    onDropped: (rows) => opts.logger?.warn('protocol-log.rows-dropped', { protocol: opts.protocol, rows }),
  });
  const flush = (): Promise<void> => pending.flush();

  return {
    write(row: ProtocolLogRow): void {
      if (closed || !opts.enabled()) return;
      pending.push({ time: now(), line: formatRow(row) });
    },
    flush,
    async close(): Promise<void> {
      closed = true;
      if (sweeper) clearInterval(sweeper);
      await flush();
    },
  };
}
