/**
 * The durable outbound spool: DATA_DIR/queue/ID.eml (the message) and ID.json (its envelope and
 * delivery state). Both are written to a temporary name, fsynced, renamed and the directory
 * fsynced, message first: an entry exists (is listed, relayed, acknowledged) only once its JSON
 * is in place, so a crash leaves at most an orphan .eml that was never acknowledged.
 * The CLI (`portcullis queue`) edits the same files; the running server rereads them each pass.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { MailError } from '../core/errors.js';

export interface QueueEntry {
  id: string;
  /** Envelope sender (always a local account's address). */
  from: string;
  /** Recipients not yet delivered. */
  to: string[];
  size: number;
  createdAt: string;
  attempts: number;
  /** ISO time of the next attempt. */
  nextAttemptAt: string;
  lastError: string | null;
}

const ID = /^[0-9a-z]{6,16}-[0-9a-f]{12}$/;

export function isQueueId(id: string): boolean {
  return ID.test(id);
}

export function newQueueId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, fsConstants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** temp + fsync + rename + directory fsync. */
export async function writeDurable(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path);
}

export class Spool {
  constructor(readonly dir: string) {}

  static forDataDir(dataDir: string): Spool {
    return new Spool(join(dataDir, 'queue'));
  }

  private async ensureDir(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private eml(id: string): string {
    return join(this.dir, `${id}.eml`);
  }

  private json(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /** Stores a message durably; resolves with its entry once both files are on disk. */
  async add(from: string, to: string[], raw: Buffer, now = new Date()): Promise<QueueEntry> {
    await this.ensureDir();
    const id = newQueueId(now.getTime());
    const entry: QueueEntry = {
      id, from, to: [...to], size: raw.length, createdAt: now.toISOString(), attempts: 0,
      nextAttemptAt: now.toISOString(), lastError: null,
    };
    await writeDurable(this.eml(id), raw);
    await writeDurable(this.json(id), JSON.stringify(entry, null, 2) + '\n');
    await fsyncDir(this.dir);
    return entry;
  }

  async get(id: string): Promise<QueueEntry | null> {
    if (!isQueueId(id)) return null;
    try {
      return JSON.parse(await fs.readFile(this.json(id), 'utf8')) as QueueEntry;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new MailError('CORRUPTION', `queue entry ${id} is unreadable: ${(err as Error).message}`);
    }
  }

  async readMessage(id: string): Promise<Buffer> {
    return fs.readFile(this.eml(id));
  }

  /** All entries, oldest first. Unreadable entries are skipped (and reported through onBad). */
  async list(onBad?: (id: string, err: Error) => void): Promise<QueueEntry[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: QueueEntry[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      try {
        const e = await this.get(id);
        if (e) out.push(e);
      } catch (err) {
        onBad?.(id, err as Error);
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Rewrites an entry's state; false when it was removed meanwhile. */
  async update(entry: QueueEntry): Promise<boolean> {
    if (!(await this.get(entry.id))) return false;
    await writeDurable(this.json(entry.id), JSON.stringify(entry, null, 2) + '\n');
    return true;
  }

  /** Deletes an entry (JSON first, so a half-removed entry is never listed). */
  async remove(id: string): Promise<boolean> {
    if (!isQueueId(id)) return false;
    try {
      await fs.unlink(this.json(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await fs.rm(this.eml(id), { force: true });
    await fsyncDir(this.dir).catch(() => {});
    return true;
  }

  /**
   * Removes message files that never got their JSON (a crash before the 250) and temp files,
   * when older than `minAgeMs` (so a write in progress in another process is left alone).
   */
  async sweepOrphans(minAgeMs = 10 * 60_000): Promise<number> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return 0;
    }
    const jsons = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    let n = 0;
    for (const name of names) {
      const orphanEml = name.endsWith('.eml') && !jsons.has(name.slice(0, -4));
      if (!orphanEml && !name.includes('.tmp-')) continue;
      const path = join(this.dir, name);
      const st = await fs.stat(path).catch(() => null);
      if (st && Date.now() - st.mtimeMs >= minAgeMs) {
        await fs.rm(path, { force: true });
        n++;
      }
    }
    return n;
  }
}
