/** Conformance tests for messages: UIDs, MODSEQ, flags, copy/move, expunge, changes, recent, blobs, batching. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConformanceOptions, Use } from './suite.js';
import { rejectsWith } from './suite.js';
import { collect, inboxOf, input, newAccount, streamToBuffer } from './fixtures.js';
import { registerSearchTests } from './suite-search.js';

export function registerMessageTests(use: Use, opts: ConformanceOptions): void {
  describe('messages', () => {
    test('UIDs are strictly increasing and never reused after expunge; UIDVALIDITY stays', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const r1 = await store.append(inbox.id, input());
      const r2 = await store.append(inbox.id, input());
      assert.ok(r2.uid > r1.uid);
      assert.equal(r1.uidValidity, inbox.uidValidity);
      await store.storeFlags(inbox.id, [r2.uid], 'add', ['\\Deleted']);
      assert.deepEqual(await store.expunge(inbox.id), [r2.uid]);
      const r3 = await store.append(inbox.id, input());
      assert.ok(r3.uid > r2.uid, 'an expunged UID is not handed out again');
      const info = await store.getMailboxById(inbox.id);
      assert.equal(info?.uidNext, r3.uid + 1);
      assert.equal(info?.uidValidity, inbox.uidValidity);
      assert.deepEqual(Array.from(await store.listUids(inbox.id)), [r1.uid, r3.uid]);
    });

    test('append keeps bytes, flags, internal date and the parsed description', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const msg = input({ subject: 'Größe', body: 'line one\r\nline two\r\n' }, { flags: ['\\seen', '$Label1', '\\Recent'], internalDate: new Date('2020-01-02T03:04:05Z') });
      const r = await store.append(inbox.id, msg);
      const [[rec]] = (await collect(store.fetchRecords(inbox.id, [{ from: r.uid, to: r.uid }]))) as [[import('../store.js').MessageRecord]];
      assert.deepEqual(rec.flags, ['\\Seen', '$Label1']);
      assert.equal(rec.internalDate.toISOString(), '2020-01-02T03:04:05.000Z');
      assert.equal(rec.size, msg.raw.length);
      assert.equal(rec.modseq, r.modseq);
      assert.deepEqual(await store.readBlob(rec.blobId), msg.raw);
      const parsed = await store.getParsed(inbox.id, r.uid);
      assert.deepEqual(parsed?.root, msg.parsed.root);
      assert.equal(parsed?.sentDate?.toISOString(), '1994-02-08T05:52:25.000Z');
      assert.equal(await store.getParsed(inbox.id, r.uid + 100), null);
      const byBlob = await store.getParsedBlob(rec.blobId);
      assert.deepEqual(byBlob?.envelope, msg.parsed.envelope);
      assert.equal(byBlob?.sentDate?.toISOString(), '1994-02-08T05:52:25.000Z');
      assert.deepEqual(await store.getParsedBlob(rec.blobId), byBlob, 'the same again (from the cache)');
      assert.equal(await store.getParsedBlob('0'.repeat(64)), null);
      assert.equal(await store.getParsedBlob('not a hash'), null);
      const info = await store.getMailboxById(inbox.id);
      assert.equal(info?.messages, 1);
      assert.equal(info?.unseen, 0);
      assert.equal(info?.size, msg.raw.length);
      assert.equal(await store.usedBytes(a.id), msg.raw.length);
    });

    test('every change takes a new MODSEQ, expunges included', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      let last = (await store.getMailboxById(inbox.id))!.highestModseq;
      const r = await store.append(inbox.id, input());
      assert.ok(r.modseq > last);
      last = r.modseq;
      assert.equal((await store.getMailboxById(inbox.id))?.highestModseq, last);
      const s = await store.storeFlags(inbox.id, [r.uid], 'add', ['\\Flagged']);
      assert.ok(s.updated[0]!.modseq > last);
      last = s.updated[0]!.modseq;
      assert.equal((await store.getMailboxById(inbox.id))?.highestModseq, last);
      await store.storeFlags(inbox.id, [r.uid], 'add', ['\\Deleted']);
      last = (await store.getMailboxById(inbox.id))!.highestModseq;
      await store.expunge(inbox.id);
      assert.ok((await store.getMailboxById(inbox.id))!.highestModseq > last);
    });

    test('flags: set, add and remove, keywords, and unseen counts', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const u1 = (await store.append(inbox.id, input())).uid;
      const u2 = (await store.append(inbox.id, input())).uid;
      assert.equal((await store.getMailboxById(inbox.id))?.unseen, 2);
      let r = await store.storeFlags(inbox.id, [u1, u2], 'add', ['\\Seen', 'Work']);
      assert.deepEqual(r.updated.map((x) => [x.uid, x.flags]), [[u1, ['\\Seen', 'Work']], [u2, ['\\Seen', 'Work']]]);
      assert.equal((await store.getMailboxById(inbox.id))?.unseen, 0);
      r = await store.storeFlags(inbox.id, [u1], 'add', ['work']);
      assert.deepEqual(r.updated, [], 'keywords compare case-insensitively: nothing changed');
      r = await store.storeFlags(inbox.id, [u1], 'remove', ['\\SEEN', 'WORK']);
      assert.deepEqual(r.updated[0]?.flags, []);
      assert.equal((await store.getMailboxById(inbox.id))?.unseen, 1);
      r = await store.storeFlags(inbox.id, [u2], 'set', ['\\Answered', '$Forwarded']);
      assert.deepEqual(r.updated[0]?.flags, ['\\Answered', '$Forwarded']);
      assert.equal((await store.getMailboxById(inbox.id))?.unseen, 2);
      r = await store.storeFlags(inbox.id, [u2], 'set', ['\\Answered', '$Forwarded']);
      assert.deepEqual(r.updated.map((x) => x.uid), [u2], 'set to the same value still reports the message');
      r = await store.storeFlags(inbox.id, [u1, 9999], 'add', ['\\Draft']);
      assert.deepEqual(r.updated.map((x) => x.uid), [u1], 'UIDs that do not exist are ignored');
      await assert.rejects(store.storeFlags(inbox.id, [u1], 'add', ['\\Bogus']), rejectsWith('BADINPUT'));
      await assert.rejects(store.storeFlags(inbox.id, [u1], 'add', ['two words']), rejectsWith('BADINPUT'));
    });

    test('unchangedSince skips messages changed later and reports them as modified', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const r1 = await store.append(inbox.id, input());
      const r2 = await store.append(inbox.id, input());
      const res = await store.storeFlags(inbox.id, [r1.uid, r2.uid], 'add', ['\\Flagged'], r1.modseq);
      assert.deepEqual(res.modified, [r2.uid]);
      assert.deepEqual(res.updated.map((x) => x.uid), [r1.uid]);
    });

    test('expunge removes only \\Deleted messages, optionally only the UIDs given', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const uids: number[] = [];
      for (let i = 0; i < 4; i++) uids.push((await store.append(inbox.id, input())).uid);
      await store.storeFlags(inbox.id, [uids[0]!, uids[1]!, uids[2]!], 'add', ['\\Deleted']);
      assert.deepEqual(await store.expunge(inbox.id, [uids[1]!, uids[3]!]), [uids[1]]);
      assert.deepEqual(await store.expunge(inbox.id), [uids[0], uids[2]]);
      assert.deepEqual(await store.expunge(inbox.id), []);
      assert.deepEqual(Array.from(await store.listUids(inbox.id)), [uids[3]]);
      assert.equal((await store.getMailboxById(inbox.id))?.messages, 1);
      assert.deepEqual(await store.checkIntegrity(), []);
    });

    test('changesSince reports changed messages and tombstones of expunged ones', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const u1 = (await store.append(inbox.id, input())).uid;
      const u2 = (await store.append(inbox.id, input())).uid;
      const u3 = (await store.append(inbox.id, input())).uid;
      const mark = (await store.getMailboxById(inbox.id))!.highestModseq;
      await store.storeFlags(inbox.id, [u1], 'add', ['\\Seen']);
      await store.storeFlags(inbox.id, [u2], 'add', ['\\Deleted']);
      await store.expunge(inbox.id);
      const u4 = (await store.append(inbox.id, input())).uid;
      const ch = await store.changesSince(inbox.id, mark);
      assert.deepEqual(ch.changed.map((c) => c.uid), [u1, u4]);
      assert.deepEqual(ch.expunged, [u2]);
      assert.equal(ch.highestModseq, (await store.getMailboxById(inbox.id))!.highestModseq);
      const none = await store.changesSince(inbox.id, ch.highestModseq);
      assert.deepEqual([none.changed, none.expunged], [[], []]);
      const all = await store.changesSince(inbox.id, 0);
      assert.deepEqual(all.changed.map((c) => c.uid), [u1, u3, u4]);
    });

    test('copy keeps flags and maps UIDs; move also expunges at the source atomically', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const dst = await store.createMailbox(a.id, 'Dest');
      const u1 = (await store.append(inbox.id, input({ subject: 'one' }), )).uid;
      const u2 = (await store.append(inbox.id, input({ subject: 'two' }, { flags: ['\\Seen', 'kw'] }))).uid;
      await store.append(dst.id, input());
      const c = await store.copy(inbox.id, [u2, u1, 999], dst.id);
      assert.equal(c.uidValidity, dst.uidValidity);
      assert.deepEqual(c.map, [[u1, 2], [u2, 3]]);
      const recs = (await collect(store.fetchRecords(dst.id, [{ from: 1, to: Infinity }]))).flat();
      assert.deepEqual(recs.map((r) => [r.uid, r.flags]), [[1, []], [2, []], [3, ['\\Seen', 'kw']]]);
      assert.deepEqual((await store.getParsed(dst.id, 3))?.envelope.subject, 'two');
      const before = (await store.getMailboxById(inbox.id))!.highestModseq;
      const m = await store.move(inbox.id, [u1], dst.id);
      assert.deepEqual(m.map, [[u1, 4]]);
      assert.deepEqual(Array.from(await store.listUids(inbox.id)), [u2]);
      const ch = await store.changesSince(inbox.id, before);
      assert.deepEqual(ch.expunged, [u1]);
      assert.equal((await store.getMailboxById(dst.id))?.messages, 4);
      assert.deepEqual(await store.checkIntegrity(), []);
    });

    test('copies share content that outlives the deleted original', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const other = await store.createMailbox(a.id, 'Other');
      const msg = input({ body: 'shared content\r\n' });
      const u = (await store.append(inbox.id, msg)).uid;
      await store.copy(inbox.id, [u], other.id);
      await store.storeFlags(inbox.id, [u], 'add', ['\\Deleted']);
      await store.expunge(inbox.id);
      const [rec] = (await collect(store.fetchRecords(other.id, [{ from: 1, to: Infinity }]))).flat();
      assert.deepEqual(await store.readBlob(rec!.blobId), msg.raw);
      await store.deleteMailbox(other.id);
      await assert.rejects(store.readBlob(rec!.blobId));
      assert.deepEqual(await store.checkIntegrity(), []);
    });

    test('claimRecent gives each message to exactly one of two concurrent callers', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      for (let i = 0; i < 3; i++) await store.append(inbox.id, input());
      const [x, y] = await Promise.all([store.claimRecent(inbox.id), store.claimRecent(inbox.id)]);
      const uidNext = (await store.getMailboxById(inbox.id))!.uidNext;
      const firsts = [x, y].sort((p, q) => p - q);
      assert.deepEqual(firsts, [1, uidNext], 'one caller got UIDs 1..3, the other none');
      await store.append(inbox.id, input());
      assert.equal(await store.claimRecent(inbox.id), uidNext);
      assert.equal(await store.claimRecent(inbox.id), uidNext + 1);
    });

    test('fetchRecords streams in batches over ranges, with Infinity as "*"', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      for (let i = 0; i < 25; i++) await store.append(inbox.id, input());
      const batches = await collect(store.fetchRecords(inbox.id, [{ from: 1, to: Infinity }], 10));
      assert.deepEqual(batches.map((b) => b.length), [10, 10, 5]);
      assert.deepEqual(batches.flat().map((r) => r.uid), Array.from({ length: 25 }, (_, i) => i + 1));
      const some = (await collect(store.fetchRecords(inbox.id, [{ from: 20, to: Infinity }, { from: 3, to: 5 }, { from: 4, to: 6 }], 2))).flat();
      assert.deepEqual(some.map((r) => r.uid), [3, 4, 5, 6, 20, 21, 22, 23, 24, 25]);
      assert.deepEqual(await collect(store.fetchRecords(inbox.id, [{ from: 100, to: Infinity }])), []);
      assert.deepEqual(await collect(store.fetchRecords(inbox.id, [])), []);
    });

    test('fetchFlags pages UID, MODSEQ and flags exactly as fetchRecords has them', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      for (let i = 0; i < 12; i++) await store.append(inbox.id, input({}, { flags: i % 3 === 0 ? ['\\Seen', 'Work'] : [] }));
      await store.storeFlags(inbox.id, [2, 5], 'add', ['\\Flagged']);
      await store.storeFlags(inbox.id, [7], 'add', ['\\Deleted']);
      await store.expunge(inbox.id);
      const full = (await collect(store.fetchRecords(inbox.id, [{ from: 1, to: Infinity }]))).flat();
      const batches = await collect(store.fetchFlags(inbox.id, [{ from: 1, to: Infinity }], 5));
      assert.deepEqual(batches.map((b) => b.length), [5, 5, 1]);
      assert.deepEqual(batches.flat(), full.map((r) => ({ uid: r.uid, modseq: r.modseq, flags: r.flags })));
      assert.deepEqual(batches.flat().find((r) => r.uid === 5)?.flags, ['\\Flagged']);
      const some = (await collect(store.fetchFlags(inbox.id, [{ from: 10, to: Infinity }, { from: 1, to: 2 }], 2))).flat();
      assert.deepEqual(some.map((r) => r.uid), [1, 2, 10, 11, 12]);
      assert.deepEqual(await collect(store.fetchFlags(inbox.id, [{ from: 100, to: Infinity }])), []);
    });

    test('blob ranges and streams return exactly the bytes asked for', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      // Small and large messages (a backend may keep them in different places).
      for (const size of [200_000, 1_000_000]) {
        const msg = input({ body: 'x'.repeat(size) + '\r\n' });
        const { uid } = await store.append(inbox.id, msg);
        const [rec] = (await collect(store.fetchRecords(inbox.id, [{ from: uid, to: uid }]))).flat();
        const id = rec!.blobId;
        assert.deepEqual(await store.readBlob(id, 5, 17), msg.raw.subarray(5, 17));
        assert.deepEqual(await store.readBlob(id, msg.raw.length - 3), msg.raw.subarray(msg.raw.length - 3));
        assert.equal((await store.readBlob(id, 10, 10)).length, 0);
        assert.deepEqual(await streamToBuffer(store.streamBlob(id)), msg.raw);
        assert.deepEqual(await streamToBuffer(store.streamBlob(id, 100, 150_000)), msg.raw.subarray(100, 150_000));
        assert.equal((await streamToBuffer(store.streamBlob(id, 7, 7))).length, 0);
      }
      assert.deepEqual(await store.checkIntegrity(), []);
      await assert.rejects(store.readBlob('0'.repeat(64)));
      await assert.rejects(store.readBlob('../../etc/passwd'));
      await assert.rejects(streamToBuffer(store.streamBlob('f'.repeat(64))));
    });

    if (opts.openShared) {
      const openShared = opts.openShared;
      test('two store instances on the same data never hand out the same UID', async (t) => {
        const [s1, s2] = await openShared();
        t.after(async () => { await s1.close(); await s2.close(); });
        const a = await newAccount(s1);
        const inbox = await inboxOf(s2, a.id);
        const jobs: Array<Promise<{ uid: number; modseq: number }>> = [];
        for (let i = 0; i < 20; i++) jobs.push((i % 2 ? s1 : s2).append(inbox.id, input({ subject: `m${i}` })));
        const results = await Promise.all(jobs);
        const uids = results.map((r) => r.uid);
        assert.equal(new Set(uids).size, uids.length);
        assert.equal(new Set(results.map((r) => r.modseq)).size, results.length);
        const [x, y] = await Promise.all([s1.claimRecent(inbox.id), s2.claimRecent(inbox.id)]);
        assert.equal(Math.min(x, y), 1);
        assert.deepEqual(Array.from(await s1.listUids(inbox.id)).sort((p, q) => p - q), [...uids].sort((p, q) => p - q));
        assert.equal(await s1.tryLock('shared', 'p1', 60_000), true);
        assert.equal(await s2.tryLock('shared', 'p2', 60_000), false);
        assert.deepEqual(await s2.checkIntegrity(), []);
      });
    }

    registerSearchTests(use);
  });
}
