import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { FEED_MESSAGE_TAG, IpcChangeFeed, feedEventOf, relayFeedEvents, type IpcEndpoint, type RelayWorker } from './ipc.js';
import type { ChangeEvent } from '../store.js';

/** Three workers wired to a relay the way node:cluster wires them (messages delivered in order, async). */
function cluster(n: number): { feeds: IpcChangeFeed[]; kill: (i: number) => void } {
  const alive = Array.from({ length: n }, () => true);
  const ends = Array.from({ length: n }, () => new EventEmitter());
  const workers: RelayWorker[] = ends.map((end, id) => ({
    id,
    isConnected: () => alive[id],
    send: (m: unknown) => {
      if (!alive[id]) throw new Error('channel closed');
      queueMicrotask(() => end.emit('message', structuredClone(m)));
    },
  }));
  const relay = relayFeedEvents(() => workers);
  const feeds = ends.map((end, id) => {
    const ep: IpcEndpoint = {
      send: (m: unknown) => queueMicrotask(() => relay(workers[id], structuredClone(m))),
      on: (e, l) => end.on(e, l),
      removeListener: (e, l) => end.removeListener(e, l),
    };
    return new IpcChangeFeed(ep);
  });
  return { feeds, kill: (i) => (alive[i] = false) };
}

const settle = () => new Promise((r) => setImmediate(r));

test('an event published in one worker reaches subscribers in every worker, once each', async () => {
  const { feeds } = cluster(3);
  const got: Array<[number, ChangeEvent]> = [];
  feeds.forEach((f, i) => f.subscribe(7, (e) => got.push([i, e])));
  feeds[1].subscribe(8, () => assert.fail('other accounts are not told'));
  feeds[0].publish({ accountId: 7, mailboxId: 3, kind: 'append', modseq: 12 });
  await settle();
  assert.deepEqual(got.map(([i]) => i).sort(), [0, 1, 2]);
  for (const [, e] of got) assert.deepEqual(e, { accountId: 7, mailboxId: 3, kind: 'append', modseq: 12 });
});

test('a dead worker does not stop the others from being told', async () => {
  const { feeds, kill } = cluster(3);
  const got: number[] = [];
  feeds.forEach((f, i) => f.subscribe(1, () => got.push(i)));
  kill(1);
  feeds[2].publish({ accountId: 1, mailboxId: null, kind: 'mailbox-create' });
  await settle();
  assert.deepEqual(got.sort(), [0, 2]);
});

test('publishing without a channel still reaches local subscribers', () => {
  const end = new EventEmitter();
  const feed = new IpcChangeFeed({ on: (e, l) => end.on(e, l), removeListener: (e, l) => end.removeListener(e, l) });
  let n = 0;
  feed.subscribe(1, () => n++);
  feed.publish({ accountId: 1, mailboxId: 1, kind: 'flags' });
  assert.equal(n, 1);
  assert.equal(feed.stats().dropped, 1);
  feed.close();
  end.emit('message', { t: FEED_MESSAGE_TAG, e: { accountId: 1, mailboxId: 1, kind: 'flags' } });
  assert.equal(n, 1, 'closed: messages from the channel are no longer delivered');
});

test('malformed or foreign IPC messages are ignored', () => {
  for (const m of [null, 'x', { t: 'other', e: {} }, { t: FEED_MESSAGE_TAG }, { t: FEED_MESSAGE_TAG, e: { accountId: '1', mailboxId: 1, kind: 'append' } },
    { t: FEED_MESSAGE_TAG, e: { accountId: 1, mailboxId: 1, kind: 'explode' } }, { t: FEED_MESSAGE_TAG, e: { accountId: 1, mailboxId: 1.5, kind: 'append' } }]) {
    assert.equal(feedEventOf(m), null, JSON.stringify(m));
  }
  assert.deepEqual(feedEventOf({ t: FEED_MESSAGE_TAG, e: { accountId: 1, mailboxId: null, kind: 'expunge', modseq: 9, extra: 'dropped' } }),
    { accountId: 1, mailboxId: null, kind: 'expunge', modseq: 9 });
});
