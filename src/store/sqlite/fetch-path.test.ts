/**
 * SQLite specifics of the fast FETCH/SELECT path: schema v4 (blob hash kept in messages) on a data
 * dir written before it, rows without a hash, and the per-process UID list cache staying right
 * while another process (a second store on the same file) appends and expunges.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { inboxOf, input, newAccount } from '../conformance/fixtures.js';
import type { FlagRecord, MailStore, MessageRecord } from '../store.js';
import { FLAG_SNAPSHOT_MIN } from './flag-snapshot.js';
import { openSqliteStore } from './index.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-fetch-'));
  dirs.push(d);
  return d;
}

/** What fetchFlags returns, as "uid modseq flags" lines, and the same read row by row through fetchRecords. */
async function flagLines(store: MailStore, mailboxId: number, ranges = [{ from: 1, to: Infinity }]): Promise<string[]> {
  const out: string[] = [];
  for await (const page of store.fetchFlags(mailboxId, ranges, 700)) out.push(...page.map((r: FlagRecord) => `${r.uid} ${r.modseq} ${r.flags.join(',')}`));
  return out;
}
async function truthLines(store: MailStore, mailboxId: number, ranges = [{ from: 1, to: Infinity }]): Promise<string[]> {
  const out: string[] = [];
  for await (const page of store.fetchRecords(mailboxId, ranges, 500)) out.push(...page.map((r) => `${r.uid} ${r.modseq} ${r.flags.join(',')}`));
  return out;
}

async function all(store: MailStore, mailboxId: number): Promise<MessageRecord[]> {
  const out: MessageRecord[] = [];
  for await (const page of store.fetchRecords(mailboxId, [{ from: 1, to: Infinity }], 2)) out.push(...page);
  return out;
}

describe('sqlite fetch path', () => {
  test('a data dir from before schema v4 migrates and its messages keep their content', async () => {
    const dir = newDir();
    let store = await openSqliteStore(dir);
    const acct = await newAccount(store);
    const inbox = await inboxOf(store, acct.id);
    await store.append(inbox.id, input({ subject: 'one', body: 'first body\r\n' }));
    await store.append(inbox.id, input({ subject: 'two', body: 'second body\r\n' }, { flags: ['\\Seen', 'Work'] }));
    await store.close();
    // Turn the file back into a v3 one: no blob_hash column, no v4 record.
    const db = new Database(join(dir, 'mail.sqlite'));
    db.exec("ALTER TABLE messages DROP COLUMN blob_hash; DELETE FROM schema_migrations WHERE version = 4;");
    db.close();
    store = await openSqliteStore(dir);
    try {
      const recs = await all(store, inbox.id);
      assert.equal(recs.length, 2);
      assert.deepEqual(recs[1]!.flags, ['\\Seen', 'Work']);
      assert.match((await store.readBlob(recs[0]!.blobId)).toString(), /first body/);
      assert.match((await store.readBlob(recs[1]!.blobId)).toString(), /second body/);
      // A row an older process wrote mid-upgrade (no hash) is still readable.
      const raw = new Database(join(dir, 'mail.sqlite'));
      raw.exec('UPDATE messages SET blob_hash = NULL');
      raw.close();
      const again = await all(store, inbox.id);
      assert.equal(again[0]!.blobId, recs[0]!.blobId);
      const copied = await store.copy(inbox.id, [recs[1]!.uid], inbox.id);
      const copy = (await all(store, inbox.id)).find((r) => r.uid === copied.map[0]![1]);
      assert.equal(copy?.blobId, recs[1]!.blobId);
    } finally {
      await store.close();
    }
  });

  test('listUids follows appends and expunges made through another store on the same file', async () => {
    const dir = newDir();
    const a = await openSqliteStore(dir);
    const b = await openSqliteStore(dir);
    try {
      const acct = await newAccount(a);
      const inbox = await inboxOf(a, acct.id);
      const uids: number[] = [];
      for (let i = 0; i < 5; i++) uids.push((await a.append(inbox.id, input({ subject: `m${i}` }))).uid);
      assert.deepEqual(Array.from(await a.listUids(inbox.id)), uids);
      const mine = await a.listUids(inbox.id);
      mine[0] = 999; // the caller's copy, not the cache
      assert.deepEqual(Array.from(await a.listUids(inbox.id)), uids);
      // b: expunge two, append one; a must see exactly that.
      await b.storeFlags(inbox.id, [uids[1]!, uids[3]!], 'add', ['\\Deleted']);
      await b.expunge(inbox.id);
      const added = (await b.append(inbox.id, input({ subject: 'new' }))).uid;
      assert.deepEqual(Array.from(await a.listUids(inbox.id)), [uids[0], uids[2], uids[4], added]);
      // A flag change alone (modseq moves) keeps the list.
      await b.storeFlags(inbox.id, [uids[0]!], 'add', ['\\Seen']);
      assert.deepEqual(Array.from(await a.listUids(inbox.id)), [uids[0], uids[2], uids[4], added]);
      // Appended and expunged again between two reads.
      const gone = (await b.append(inbox.id, input({ subject: 'short-lived' }))).uid;
      await b.storeFlags(inbox.id, [gone], 'add', ['\\Deleted']);
      await b.expunge(inbox.id);
      assert.deepEqual(Array.from(await a.listUids(inbox.id)), [uids[0], uids[2], uids[4], added]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('fetchFlags of a large mailbox (per-process snapshot) follows flag changes, appends and expunges made through another store', async () => {
    const dir = newDir();
    const a = await openSqliteStore(dir);
    const b = await openSqliteStore(dir);
    try {
      const acct = await newAccount(a);
      const inbox = await inboxOf(a, acct.id);
      for (let i = 0; i < 40; i++) await a.append(inbox.id, input({ subject: `m${i}` }, { flags: i % 3 ? [] : ['\\Seen'] }));
      while ((await a.listUids(inbox.id)).length < FLAG_SNAPSHOT_MIN + 100) await a.copy(inbox.id, Array.from(await a.listUids(inbox.id)), inbox.id);
      const check = async (what: string): Promise<void> => {
        assert.deepEqual(await flagLines(a, inbox.id), await truthLines(b, inbox.id), what);
        const some = [{ from: 7, to: 9 }, { from: 1000, to: 1400 }, { from: 2050, to: Infinity }];
        assert.deepEqual(await flagLines(a, inbox.id, some), await truthLines(b, inbox.id, some), `${what} (ranges)`);
      };
      await check('first read');
      await check('unchanged');
      const uids = Array.from(await a.listUids(inbox.id));
      await b.storeFlags(inbox.id, [uids[3]!, uids[1500]!], 'add', ['\\Flagged', 'Work']);
      await check('after flags set elsewhere');
      await b.storeFlags(inbox.id, uids.slice(10, 20), 'add', ['\\Deleted']);
      await b.expunge(inbox.id);
      await b.append(inbox.id, input({ subject: 'new' }, { flags: ['\\Answered'] }));
      await check('after expunge and append elsewhere');
      // A change set too large to merge: most messages change flags at once.
      await b.storeFlags(inbox.id, Array.from(await b.listUids(inbox.id)).slice(0, 1800), 'add', ['\\Seen']);
      await check('after a large change');
      // Below the threshold again: pages straight from the table, still right.
      const rest = Array.from(await b.listUids(inbox.id));
      await b.storeFlags(inbox.id, rest.slice(0, rest.length - 5), 'add', ['\\Deleted']);
      await b.expunge(inbox.id);
      await check('small again');
      assert.equal((await flagLines(a, inbox.id)).length, 5);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
