/**
 * Log file naming, roll-over periods and retention, shared by the protocol logs and the security
 * log. Files carry their start time in the name, so ordering and age never depend on file
 * modification times (which a copy or a backup restore would change).
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export type RollOver = 'hourly' | 'daily' | 'weekly' | 'monthly' | { sizeBytes: number };
export const ROLL_OVER_PERIODS = ['hourly', 'daily', 'weekly', 'monthly'] as const;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The start of the period `t` falls in (UTC). Weeks start on Monday. Size roll-over: the hour. */
export function periodStart(t: Date, roll: RollOver): Date {
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth();
  const d = t.getUTCDate();
  if (roll === 'monthly') return new Date(Date.UTC(y, m, 1));
  if (roll === 'daily') return new Date(Date.UTC(y, m, d));
  if (roll === 'weekly') {
    const dow = (t.getUTCDay() + 6) % 7; // Monday = 0
    return new Date(Date.UTC(y, m, d - dow));
  }
  return new Date(Date.UTC(y, m, d, t.getUTCHours()));
}

/** The end of the period starting at `start` (the next period's start); null for size roll-over. */
export function periodEnd(start: Date, roll: RollOver): Date | null {
  const t = start.getTime();
  if (roll === 'hourly') return new Date(t + 3_600_000);
  if (roll === 'daily') return new Date(t + 86_400_000);
  if (roll === 'weekly') return new Date(t + 7 * 86_400_000);
  if (roll === 'monthly') return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  return null;
}

/** yyyyMMddHH in UTC. */
export function hourKey(t: Date): string {
  return `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}${pad(t.getUTCHours())}`;
}

/** yyyyMMdd in UTC. */
export function dayKey(t: Date): string {
  return hourKey(t).slice(0, 8);
}

/** Parses a yyyyMMdd or yyyyMMddHH key back into a UTC date. */
export function parseKey(key: string): Date {
  const y = Number(key.slice(0, 4));
  const mo = Number(key.slice(4, 6)) - 1;
  const d = Number(key.slice(6, 8));
  const h = key.length >= 10 ? Number(key.slice(8, 10)) : 0;
  return new Date(Date.UTC(y, mo, d, h));
}

export interface LogFileName {
  name: string;
  /** Start time encoded in the name. */
  start: Date;
  /** Sequence number within the same start time (1, 2, ...). */
  seq: number;
  /** Which writer made it (a worker slot of `serve --workers N`); '' for a single writer. */
  writer: string;
}

/**
 * Lists the files of one log family in `dir`, oldest first. `pattern` must capture the time key
 * (group 1, or a group named key) and may capture a sequence number (group 2, or named seq) and
 * a writer (named writer).
 */
export async function listLogFiles(dir: string, pattern: RegExp): Promise<LogFileName[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: LogFileName[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const key = m.groups?.key ?? m[1];
    const seq = m.groups ? m.groups.seq : m[2];
    out.push({ name, start: parseKey(key), seq: seq ? Number(seq) : 0, writer: m.groups?.writer ?? '' });
  }
  out.sort((a, b) => a.start.getTime() - b.start.getTime() || a.seq - b.seq);
  return out;
}

export interface RetentionLimits {
  /** Delete files whose newest entry is older than this many days; 0: no age limit. */
  maxAgeDays: number;
  /** Delete the oldest files while the family is larger than this; 0: no size limit. */
  maxTotalBytes: number;
}

/**
 * Deletes the oldest files of a family beyond the age or total-size limit. The current file is
 * never deleted, nor the newest file of each writer (another process's current file, when
 * several processes write one directory). A file's newest entry is taken to be no later than the start of the file after
 * it (or now, for the newest), nor than the end of its period when files roll over by time.
 * Returns the names deleted.
 */
export async function applyRetention(
  dir: string, pattern: RegExp, limits: RetentionLimits, current: string | null, now: Date,
  roll: RollOver = { sizeBytes: 0 },
): Promise<string[]> {
  const files = await listLogFiles(dir, pattern);
  const sized: Array<LogFileName & { size: number; end: Date }> = [];
  for (let i = 0; i < files.length; i++) {
    let size = 0;
    try {
      size = (await stat(join(dir, files[i].name))).size;
    } catch {
      continue; // vanished meanwhile
    }
    const next = files[i + 1]?.start ?? now;
    const end = periodEnd(files[i].start, roll);
    sized.push({ ...files[i], size, end: end && end < next ? end : next });
  }
  const deleted: string[] = [];
  const remove = async (name: string): Promise<void> => {
    try {
      await unlink(join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    deleted.push(name);
  };
  const cutoff = now.getTime() - limits.maxAgeDays * 86_400_000;
  let total = sized.reduce((s, f) => s + f.size, 0);
  const newestOfWriter = new Map<string, string>();
  for (const f of files) newestOfWriter.set(f.writer, f.name); // oldest first: the last one wins
  const kept = new Set(newestOfWriter.values());
  for (const f of sized) {
    if (f.name === current || kept.has(f.name)) continue;
    const tooOld = limits.maxAgeDays > 0 && f.end.getTime() < cutoff;
    const tooBig = limits.maxTotalBytes > 0 && total > limits.maxTotalBytes;
    if (!tooOld && !tooBig) continue;
    await remove(f.name);
    total -= f.size;
  }
  return deleted;
}
