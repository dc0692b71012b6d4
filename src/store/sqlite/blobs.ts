/**
 * Content-addressed blob files: dir/blobs/ab/cd/<sha256 hex>.
 *
 * A blob is written to a temp file, fsynced, renamed into place and its directory fsynced
 * BEFORE the row that references it commits. Files are only ever removed by the garbage
 * collector while it holds the database write lock (see messages.ts collectGarbage), and an
 * append checks, inside its own write transaction, that its file is still there: so a blob
 * that a committed row references always exists.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync,
  statSync, unlinkSync, writeSync,
} from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MailError } from '../../core/errors.js';

const HASH_RE = /^[0-9a-f]{64}$/;
const TEMP_MAX_AGE_MS = 60 * 60 * 1000;

export function hashBlob(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

function fsyncDirSync(path: string): void {
  const fd = openSync(path, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

export class BlobFiles {
  readonly root: string;
  private readonly tmp: string;

  constructor(dir: string) {
    this.root = join(dir, 'blobs');
    this.tmp = join(this.root, 'tmp');
    mkdirSync(this.tmp, { recursive: true });
    this.removeStaleTemps();
  }

  path(hash: string): string {
    if (!HASH_RE.test(hash)) throw new MailError('NONEXISTENT', 'no such message content');
    return join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  /** Makes the blob durable on disk (no-op write when an identical, complete file is there). */
  async write(hash: string, raw: Buffer): Promise<void> {
    const final = this.path(hash);
    const dir = join(this.root, hash.slice(0, 2), hash.slice(2, 4));
    try {
      const st = await stat(final);
      if (st.size === raw.length) {
        await fsyncDir(dir); // another writer may have renamed it in but not yet synced the directory
        return;
      }
    } catch { /* not there yet */ }
    const created = await mkdir(dir, { recursive: true }); // first directory created, if any
    const tmp = join(this.tmp, `${hash}.${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o640);
    try {
      await fh.writeFile(raw);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
    await fsyncDir(dir);
    if (created) {
      // New fan-out directories: their own entries must be durable too.
      await fsyncDir(join(this.root, hash.slice(0, 2)));
      await fsyncDir(this.root);
    }
  }

  /** Synchronous variant, used inside a write transaction when a file vanished meanwhile. */
  writeSync(hash: string, raw: Buffer): void {
    const final = this.path(hash);
    const dir = join(this.root, hash.slice(0, 2), hash.slice(2, 4));
    mkdirSync(dir, { recursive: true });
    const tmp = join(this.tmp, `${hash}.${randomBytes(6).toString('hex')}`);
    const fd = openSync(tmp, 'wx', 0o640);
    try {
      let off = 0;
      while (off < raw.length) off += writeSync(fd, raw, off, raw.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
    fsyncDirSync(dir);
  }

  existsSync(hash: string): boolean {
    return existsSync(this.path(hash));
  }

  /** Removes a blob file (only called under the database write lock, for unreferenced blobs). */
  unlinkSync(hash: string): void {
    try { unlinkSync(this.path(hash)); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async read(hash: string, start = 0, end?: number): Promise<Buffer> {
    const path = this.path(hash);
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw missing(hash, err);
    }
    try {
      const size = (await fh.stat()).size;
      const s = Math.max(0, Math.min(start, size));
      const e = Math.max(s, Math.min(end ?? size, size));
      const buf = Buffer.alloc(e - s);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, s + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return off === buf.length ? buf : buf.subarray(0, off);
    } finally {
      await fh.close();
    }
  }

  stream(hash: string, start = 0, end?: number): NodeJS.ReadableStream {
    let path: string;
    try {
      path = this.path(hash);
    } catch (err) {
      const r = new Readable({ read() {} });
      process.nextTick(() => r.destroy(err as Error));
      return r;
    }
    const s = Math.max(0, start);
    if (end !== undefined && end <= s) return Readable.from([]);
    const out = createReadStream(path, { start: s, end: end === undefined ? undefined : end - 1 });
    // Report a missing file as the store's error, not a raw ENOENT.
    const wrapped = new Readable({ read() { out.resume(); } });
    out.on('data', (chunk) => { if (!wrapped.push(chunk)) out.pause(); });
    out.on('end', () => wrapped.push(null));
    out.on('error', (err) => wrapped.destroy(missing(hash, err)));
    wrapped.on('close', () => out.destroy());
    return wrapped;
  }

  /** Returns a problem description, or null when the file exists and hashes right. */
  verifySync(hash: string, size: number): string | null {
    const path = this.path(hash);
    let st;
    try { st = statSync(path); } catch { return `blob ${hash} is referenced but missing`; }
    if (st.size !== size) return `blob ${hash} has ${st.size} bytes, expected ${size}`;
    const h = createHash('sha256');
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      let pos = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        pos += n;
      }
    } finally {
      closeSync(fd);
    }
    const got = h.digest('hex');
    return got === hash ? null : `blob ${hash} content hashes to ${got}`;
  }

  private removeStaleTemps(): void {
    const now = Date.now();
    for (const name of readdirSync(this.tmp)) {
      try {
        const p = join(this.tmp, name);
        if (now - statSync(p).mtimeMs > TEMP_MAX_AGE_MS) unlinkSync(p);
      } catch { /* another process removed it */ }
    }
  }
}

function missing(hash: string, err: unknown): MailError {
  if (err instanceof MailError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new MailError('CORRUPTION', `message content ${hash} is missing from the blob store`, { cause: err });
  return new MailError('UNAVAILABLE', `cannot read message content ${hash}: ${(err as Error).message}`, { cause: err });
}
