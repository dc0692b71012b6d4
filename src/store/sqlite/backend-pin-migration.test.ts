// SQLite schema v5 (accounts.backend) on a data dir written before it: existing accounts come
// through unpinned and can be pinned afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { newAccount } from '../conformance/fixtures.js';
import { openSqliteStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-pin-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a data dir from before schema v5 migrates: accounts unpinned, then pinnable', async () => {
  let store = await openSqliteStore(dir);
  const acct = await newAccount(store);
  await store.close();
  // Turn the file back into a v4 one: no backend column, no v5 record.
  const db = new Database(join(dir, 'mail.sqlite'));
  db.exec('ALTER TABLE accounts DROP COLUMN backend; DELETE FROM schema_migrations WHERE version = 5;');
  db.close();
  store = await openSqliteStore(dir);
  try {
    assert.equal((await store.getAccountById(acct.id))?.backend, null);
    await store.updateAccount(acct.id, { backend: 'be2.example.org' });
    assert.equal((await store.getAccount(acct.address))?.backend, 'be2.example.org');
  } finally {
    await store.close();
  }
});
