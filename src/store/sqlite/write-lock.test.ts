/**
 * SQLite specifics of concurrency between processes on one data dir (serve --workers N): a write
 * that finds the write lock taken waits without stopping the event loop and then succeeds; and
 * search rows written after the append (search-queue.ts) are never missing from a search, even
 * when the process that appended stopped before writing them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { inboxOf, input, newAccount } from '../conformance/fixtures.js';
import { openSqliteStore } from './index.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-lock-'));
  dirs.push(d);
  return d;
}

describe('sqlite write lock and deferred search rows', () => {
  test('an append that finds the write lock taken waits, keeps the event loop free, then commits', async (t) => {
    const dir = newDir();
    const store = await openSqliteStore(dir);
    t.after(() => store.close());
    const acct = await newAccount(store);
    const inbox = await inboxOf(store, acct.id);
    // Another process holds the write lock (as a second worker in the middle of a write).
    const other = new Database(join(dir, 'mail.sqlite'));
    t.after(() => other.close());
    other.prepare('BEGIN IMMEDIATE').run();
    let settled = false;
    const appending = store.append(inbox.id, input({ subject: 'waits', body: 'for the lock\r\n' })).finally(() => { settled = true; });
    // Timers still fire while the append waits: the loop is not asleep in SQLite's busy handler.
    let ticks = 0;
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      ticks++;
    }
    assert.equal(ticks, 5);
    assert.equal(settled, false, 'the append waits for the lock');
    other.prepare('COMMIT').run();
    const r = await appending;
    assert.equal(r.uid, 1);
    assert.equal((await store.getMailboxById(inbox.id))?.messages, 1);
    assert.deepEqual(await store.checkIntegrity(), []);
  });

  test('a search finds a message whose search row was still queued, even from another process', async () => {
    const dir = newDir();
    const writer = await openSqliteStore(dir);
    const acct = await newAccount(writer);
    const inbox = await inboxOf(writer, acct.id);
    await writer.append(inbox.id, input({ subject: 'quarterly figures', body: 'the xylophonic report\r\n' }));
    // The row is written in the background after the append; a second process searches at once.
    const reader = await openSqliteStore(dir);
    try {
      assert.deepEqual([...await reader.searchText(inbox.id, 'body', 'xylophonic')], [1]);
      assert.deepEqual([...await reader.searchText(inbox.id, 'subject', 'figures')], [1]);
      assert.deepEqual([...await reader.searchText(inbox.id, 'body', 'absent words')], []);
      assert.deepEqual(await reader.checkIntegrity(), []);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  test('rows queued by a process that never drained are written by the next one', async () => {
    const dir = newDir();
    const first = await openSqliteStore(dir);
    const acct = await newAccount(first);
    const inbox = await inboxOf(first, acct.id);
    await first.append(inbox.id, input({ subject: 'left behind', body: 'zanzibar\r\n' }));
    // Simulate a crash before the background write: put the row back in the queue by hand.
    const raw = new Database(join(dir, 'mail.sqlite'));
    await first.close(); // drains
    const id = raw.prepare('SELECT id FROM blobs').pluck().get() as number;
    raw.prepare('DELETE FROM search_fts WHERE rowid = ?').run(id);
    raw.prepare('INSERT INTO search_pending (blob_id) VALUES (?)').run(id);
    raw.close();
    const next = await openSqliteStore(dir);
    try {
      assert.deepEqual(await next.checkIntegrity(), [], 'a queued row is not a missing row');
      assert.deepEqual([...await next.searchText(inbox.id, 'body', 'zanzibar')], [1]);
      const check = new Database(join(dir, 'mail.sqlite'), { readonly: true });
      assert.equal(check.prepare('SELECT count(*) FROM search_pending').pluck().get(), 0);
      check.close();
    } finally {
      await next.close();
    }
  });
});
