/**
 * Reading message bytes from blobs.data (bytea). The column is STORAGE EXTERNAL (TOAST without
 * compression), so substring() fetches only the TOAST chunks that cover the range: a partial
 * FETCH or one chunk of a stream costs what it returns, not the whole message. Blobs are
 * immutable and content-addressed, so chunks read by separate queries belong to the same bytes.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { MailError } from '../../core/errors.js';
import { mapPgError } from './db.js';

export const HASH_RE = /^[0-9a-f]{64}$/;
/** Bytes per query when streaming. */
export const STREAM_CHUNK = 256 * 1024;
const INT4_MAX = 2147483647;

export function hashBlob(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function checkHash(hash: string): void {
  if (typeof hash !== 'string' || !HASH_RE.test(hash)) throw new MailError('NONEXISTENT', 'no such message content');
}

/** Bytes [from, from + length) of the blob (0-based); null when there is no such blob. */
async function slice(pool: pg.Pool, hash: string, from: number, length: number): Promise<Buffer | null> {
  // Text format (bytea as hex): node-postgres 8 decodes binary-format results as UTF-8, which
  // would damage arbitrary bytes, so its `binary` query option must not be used here.
  const r = await pool.query<{ data: Buffer }>('SELECT substring(data FROM $2::int FOR $3::int) AS data FROM blobs WHERE hash = $1',
    [hash, Math.min(from + 1, INT4_MAX), Math.min(Math.max(0, length), INT4_MAX)]);
  return r.rows[0] ? r.rows[0].data : null;
}

export async function readBlob(pool: pg.Pool, hash: string, start?: number, end?: number): Promise<Buffer> {
  checkHash(hash);
  const s = Math.max(0, Math.floor(start ?? 0));
  const length = end === undefined ? INT4_MAX : Math.max(0, Math.floor(end) - s);
  const data = await slice(pool, hash, s, length);
  if (!data) throw new MailError('NONEXISTENT', `no such message content ${hash.slice(0, 16)}`);
  return data;
}

export function streamBlob(pool: pg.Pool, hash: string, start?: number, end?: number): Readable {
  let pos = Math.max(0, Math.floor(start ?? 0));
  const stop = end === undefined ? Infinity : Math.floor(end);
  let first = true;
  return new Readable({
    // Node calls read() again only after a push, so queries never overlap.
    read() {
      const want = Math.min(STREAM_CHUNK, stop - pos);
      const go = async (): Promise<void> => {
        checkHash(hash);
        const data = await slice(pool, hash, pos, want);
        if (!data) {
          // Gone between two chunks means it was expunged everywhere while being read.
          throw new MailError(first ? 'NONEXISTENT' : 'EXPUNGEISSUED', `no such message content ${hash.slice(0, 16)}`);
        }
        first = false;
        pos += data.length;
        if (data.length > 0) this.push(data);
        if (data.length < want || pos >= stop) this.push(null);
      };
      if (want <= 0 && !first) {
        this.push(null);
        return;
      }
      go().catch((err: unknown) => this.destroy(mapPgError(err)));
    },
  });
}
