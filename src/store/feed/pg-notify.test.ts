import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../postgres/testing.js';
import type { ChangeEvent } from '../store.js';
import { parsePayload, PgNotifyChangeFeed } from './pg-notify.js';

/** Collects events and lets a test wait until one matching `pred` has arrived. */
class Inbox {
  readonly events: ChangeEvent[] = [];
  private waiters: Array<{ pred: (e: ChangeEvent) => boolean; resolve: (e: ChangeEvent) => void }> = [];
  readonly push = (e: ChangeEvent): void => {
    this.events.push(e);
    for (const w of [...this.waiters]) {
      if (w.pred(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  };
  next(pred: (e: ChangeEvent) => boolean): Promise<ChangeEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
}

describe('PgNotifyChangeFeed', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  function twoNodes(t: { after(fn: () => unknown): void }): [PgNotifyChangeFeed, PgNotifyChangeFeed] {
    const a = new PgNotifyChangeFeed({ url: db.url, backoff: { minMs: 20, maxMs: 200 } });
    const b = new PgNotifyChangeFeed({ url: db.url, backoff: { minMs: 20, maxMs: 200 } });
    t.after(async () => { await a.close(); await b.close(); });
    return [a, b];
  }

  test('an event published on one node reaches subscribers on both, once each, and only for its account', async (t) => {
    const [a, b] = twoNodes(t);
    const onA = new Inbox();
    const onB = new Inbox();
    const otherAccount = new Inbox();
    a.subscribe(1, onA.push);
    b.subscribe(1, onB.push);
    b.subscribe(2, otherAccount.push);
    await Promise.all([a.ready(), b.ready()]);
    const e1: ChangeEvent = { accountId: 1, mailboxId: 10, kind: 'append', modseq: 5 };
    a.publish(e1);
    assert.deepEqual(await onB.next((e) => e.kind === 'append'), e1);
    // b -> a: a listener receives notifications in commit order, so once a has e2 it has also
    // had the echo of its own e1 (which it must drop: local subscribers got e1 at publish time).
    const e2: ChangeEvent = { accountId: 1, mailboxId: 10, kind: 'expunge', modseq: 6 };
    b.publish(e2);
    await onA.next((e) => e.kind === 'expunge');
    const real = (list: ChangeEvent[]) => list.filter((e) => e.mailboxId !== null);
    assert.deepEqual(real(onA.events), [e1, e2]);
    assert.deepEqual(real(onB.events), [e1, e2]);
    assert.deepEqual(real(otherAccount.events), []);
  });

  test('a killed LISTEN connection is re-opened; subscribers get a resync hint and later events', async (t) => {
    const [a, b] = twoNodes(t);
    const onB = new Inbox();
    b.subscribe(7, onB.push);
    await Promise.all([a.ready(), b.ready()]);
    const first = b.status();
    assert.equal(first.listening, true);
    assert.ok(first.backendPid);
    const hintsBefore = onB.events.filter((e) => e.mailboxId === null).length;
    await db.admin('SELECT pg_terminate_backend($1)', [first.backendPid]);
    // The resync hint comes once LISTEN is back on a new connection.
    const hints = (): number => onB.events.filter((e) => e.mailboxId === null).length;
    await onB.next((e) => e.mailboxId === null && hints() > hintsBefore);
    const hint = onB.events.filter((e) => e.mailboxId === null).at(-1);
    assert.deepEqual(hint, { accountId: 7, mailboxId: null, kind: 'flags' });
    const second = b.status();
    assert.equal(second.listening, true);
    assert.notEqual(second.backendPid, first.backendPid);
    assert.equal(second.connections, first.connections + 1);
    const e: ChangeEvent = { accountId: 7, mailboxId: 3, kind: 'flags', modseq: 12 };
    a.publish(e);
    assert.deepEqual(await onB.next((x) => x.mailboxId === 3), e);
  });

  test('a listener that throws does not disturb the publisher or other listeners; unsubscribe stops delivery', async (t) => {
    const [a] = twoNodes(t);
    const good = new Inbox();
    a.subscribe(5, () => { throw new Error('broken listener'); });
    const off = a.subscribe(5, good.push);
    a.publish({ accountId: 5, mailboxId: 1, kind: 'append' });
    assert.equal(good.events.length, 1);
    off();
    a.publish({ accountId: 5, mailboxId: 1, kind: 'append' });
    assert.equal(good.events.length, 1);
  });

  test('malformed notifications are ignored', () => {
    assert.equal(parsePayload('not json'), null);
    assert.equal(parsePayload(JSON.stringify({ n: 'x', e: { accountId: 'one', mailboxId: 1, kind: 'append' } })), null);
    assert.equal(parsePayload(JSON.stringify({ n: 'x', e: { accountId: 1, mailboxId: 1, kind: 'explode' } })), null);
    assert.equal(parsePayload(JSON.stringify({ n: 'x', e: { accountId: 1, mailboxId: 1.5, kind: 'append' } })), null);
    assert.deepEqual(parsePayload(JSON.stringify({ n: 'x', e: { accountId: 1, mailboxId: null, kind: 'subscription', extra: 1 } })),
      { node: 'x', event: { accountId: 1, mailboxId: null, kind: 'subscription' } });
  });

  test('a notification on the channel from outside (e.g. psql) with a bad payload does not break the feed', async (t) => {
    const [a, b] = twoNodes(t);
    const onB = new Inbox();
    b.subscribe(9, onB.push);
    await Promise.all([a.ready(), b.ready()]);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    t.after(() => c.end());
    await c.query("NOTIFY portcullis_changes, '{garbage'");
    await c.query(`NOTIFY portcullis_changes, '${JSON.stringify({ n: 'psql', e: { accountId: 9, mailboxId: 4, kind: 'append' } })}'`);
    assert.deepEqual(await onB.next((e) => e.mailboxId === 4), { accountId: 9, mailboxId: 4, kind: 'append' });
  });
});
