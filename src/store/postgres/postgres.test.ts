import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { isMailError } from '../../core/errors.js';
import { LocalChangeFeed } from '../local-feed.js';
import { runStoreConformance } from '../conformance/suite.js';
import { inboxOf, input, newAccount } from '../conformance/fixtures.js';
import type { MailStore } from '../store.js';
import { openPostgresStore } from './index.js';
import { PG_SCHEMA_VERSION } from './schema.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

const databases: TestDatabase[] = [];
after(async () => { for (const d of databases) await d.drop(); });
async function newDatabase(): Promise<TestDatabase> {
  const d = await createTestDatabase();
  databases.push(d);
  return d;
}

// The conformance suite does not use the feed: a LocalChangeFeed spares a LISTEN connection per store.
runStoreConformance('postgres', async () => openPostgresStore((await newDatabase()).url, { feed: new LocalChangeFeed() }), {
  openShared: async () => {
    const d = await newDatabase();
    return [await openPostgresStore(d.url, { feed: new LocalChangeFeed() }), await openPostgresStore(d.url, { feed: new LocalChangeFeed() })];
  },
});

describe('postgres store specifics', () => {
  test('several nodes opening a new database at once migrate it once and all work', async (t) => {
    const d = await newDatabase();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(d.url, { feed: new LocalChangeFeed() })));
    t.after(async () => { for (const s of stores) await s.close(); });
    const a = await newAccount(stores[0]!);
    for (const s of stores) assert.equal((await s.getAccountById(a.id))?.address, a.address);
    const c = await openPostgresStore(d.url, { feed: new LocalChangeFeed() });
    await c.close();
    const client = new pg.Client({ connectionString: d.url });
    await client.connect();
    t.after(() => client.end());
    const rows = (await client.query('SELECT version FROM schema_migrations ORDER BY version')).rows as Array<{ version: number }>;
    assert.deepEqual(rows.map((r) => r.version), Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
    assert.ok(PG_SCHEMA_VERSION >= 5, 'app passwords (migration 5) included');
  });

  test('concurrent appends, copies and expunges on two nodes keep UIDs, MODSEQs and references consistent', async (t) => {
    const d = await newDatabase();
    const s1 = await openPostgresStore(d.url, { feed: new LocalChangeFeed() });
    const s2 = await openPostgresStore(d.url, { feed: new LocalChangeFeed() });
    t.after(async () => { await s1.close(); await s2.close(); });
    const a = await newAccount(s1);
    const inbox = await inboxOf(s1, a.id);
    const other = await s2.createMailbox(a.id, 'Other');
    const same = input({ body: 'identical content on every node\r\n' });
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? s1 : s2).append(inbox.id, same)));
    assert.equal(new Set(results.map((r) => r.uid)).size, 16);
    const uids = results.map((r) => r.uid);
    await Promise.all([
      s1.copy(inbox.id, uids.slice(0, 8), other.id),
      s2.copy(inbox.id, uids.slice(8), other.id),
      s1.storeFlags(inbox.id, uids, 'add', ['\\Deleted']),
    ]);
    await Promise.all([s2.expunge(inbox.id), s1.expunge(inbox.id)]);
    assert.deepEqual(Array.from(await s1.listUids(inbox.id)), []);
    assert.equal((await s2.getMailboxById(other.id))?.messages, 16);
    assert.deepEqual(await s1.checkIntegrity(), []);
    await s2.deleteMailbox(other.id);
    assert.deepEqual(await s1.checkIntegrity(), []);
    const client = new pg.Client({ connectionString: d.url });
    await client.connect();
    t.after(() => client.end());
    const left = (await client.query('SELECT count(*)::int AS n FROM blobs')).rows[0] as { n: number };
    assert.equal(left.n, 0, 'the shared content is gone once no message references it');
  });

  test('a bad URL or an unreachable server fails with a clear error', async () => {
    await assert.rejects(openPostgresStore('mysql://x'), /postgres:\/\//);
    await assert.rejects(openPostgresStore('postgres://postgres:secret@127.0.0.1:1/none'), (err: Error) => {
      assert.match(err.message, /cannot open the store database/);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
  });

  test('by default the store feed crosses nodes: an event published on one reaches the other', async (t) => {
    const d = await newDatabase();
    const s1: MailStore = await openPostgresStore(d.url);
    const s2: MailStore = await openPostgresStore(d.url);
    t.after(async () => { await s1.close(); await s2.close(); });
    const got = new Promise((resolve) => {
      s2.changes.subscribe(42, (e) => { if (e.mailboxId !== null) resolve(e); });
    });
    // Wait until the LISTEN of s2 is up (it announces itself with a resync hint), then publish.
    const feed2 = s2.changes as unknown as { ready(): Promise<void> };
    await feed2.ready();
    s1.changes.publish({ accountId: 42, mailboxId: 7, kind: 'append', modseq: 9 });
    assert.deepEqual(await got, { accountId: 42, mailboxId: 7, kind: 'append', modseq: 9 });
  });

  test('connections killed under the store are replaced: operations fail UNAVAILABLE at worst, never crash', async (t) => {
    const d = await newDatabase();
    const s = await openPostgresStore(d.url, { feed: new LocalChangeFeed() });
    t.after(() => s.close());
    const a = await newAccount(s);
    const inbox = await inboxOf(s, a.id);
    await Promise.all([s.append(inbox.id, input()), s.append(inbox.id, input())]); // two pooled connections
    await d.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [d.name]);
    let ok = false;
    for (let i = 0; i < 5 && !ok; i++) {
      try {
        await s.append(inbox.id, input());
        ok = true;
      } catch (err) {
        assert.ok(isMailError(err, 'UNAVAILABLE'), `expected UNAVAILABLE, got ${String(err)}`);
      }
    }
    assert.ok(ok, 'the store recovers with fresh connections');
    assert.equal((await s.getMailboxById(inbox.id))?.messages, 3);
    assert.deepEqual(await s.checkIntegrity(), []);
  });
});
