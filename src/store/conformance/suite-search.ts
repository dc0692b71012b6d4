/** Conformance tests for searchText: case-insensitive substrings of decoded text, per field. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Use } from './suite.js';
import { inboxOf, input, newAccount } from './fixtures.js';

export function registerSearchTests(use: Use): void {
  describe('searchText', () => {
    test('substring, case-insensitive, per field, non-ASCII, short needles', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const other = await store.createMailbox(a.id, 'Other');
      const u1 = (await store.append(inbox.id, input({ subject: 'Quarterly Report', from: 'Alice Example <alice@example.org>', body: 'Numbers are UP this quarter.\r\n' }))).uid;
      const u2 = (await store.append(inbox.id, input({ subject: 'Grüße aus München', to: 'Bob <bob@example.net>', cc: 'carol@example.com', body: 'Straße und ÄPFEL\r\n', extraHeaders: [['x-mailer', 'Frobnicator 3000']] }))).uid;
      const u3 = (await store.append(inbox.id, input({ subject: 'x', body: 'a b\r\n' }))).uid;
      await store.append(other.id, input({ subject: 'Quarterly Report elsewhere' }));

      const s = (field: Parameters<typeof store.searchText>[1], v: string) => store.searchText(inbox.id, field, v).then((r) => [...r].sort((p, q) => p - q));
      assert.deepEqual(await s('subject', 'report'), [u1]);
      assert.deepEqual(await s('subject', 'ARTERLY REP'), [u1]);
      assert.deepEqual(await s('body', 'report'), [], 'body does not match the subject');
      assert.deepEqual(await s('body', 'this quarter'), [u1]);
      assert.deepEqual(await s('text', 'quarter'), [u1], 'TEXT covers headers and body');
      assert.deepEqual(await s('from', 'ALICE@EXAMPLE'), [u1]);
      assert.deepEqual(await s('to', 'bob@'), [u2]);
      assert.deepEqual(await s('cc', 'carol'), [u2]);
      assert.deepEqual(await s('bcc', 'carol'), []);
      assert.deepEqual(await s('subject', 'GRÜSSE'), [], 'no ß/ss folding');
      assert.deepEqual(await s('subject', 'grüße'), [u2]);
      assert.deepEqual(await s('subject', 'MÜNCHEN'), [u2], 'non-ASCII case folding');
      assert.deepEqual(await s('body', 'äpfel'), [u2]);
      assert.deepEqual(await s({ header: 'X-Mailer' }, 'frobnicator'), [u2]);
      assert.deepEqual(await s({ header: 'x-mailer' }, ''), [u2], 'an empty needle matches messages that have the header');
      assert.deepEqual(await s({ header: 'subject' }, 'frobnicator'), []);
      // Needles of one and two characters (below the trigram size).
      assert.deepEqual(await s('body', 'Ä'), [u2]);
      assert.deepEqual(await s('body', 'a b'), [u3]);
      assert.deepEqual(await s('subject', 'X'), [u3]);
      assert.deepEqual(await s('body', 'up'), [u1]);
      assert.deepEqual(await s('body', 'zz'), []);
      // Characters that mean something to a query language are plain text here.
      assert.deepEqual(await s('text', '"OR*'), []);
      assert.deepEqual(await s('text', 'NOT quarter'), []);
    });

    test('expunged messages are no longer found', async (t) => {
      const store = await use(t);
      const a = await newAccount(store);
      const inbox = await inboxOf(store, a.id);
      const u = (await store.append(inbox.id, input({ subject: 'vanishing act' }))).uid;
      assert.deepEqual([...(await store.searchText(inbox.id, 'subject', 'vanish'))], [u]);
      await store.storeFlags(inbox.id, [u], 'add', ['\\Deleted']);
      await store.expunge(inbox.id);
      assert.deepEqual([...(await store.searchText(inbox.id, 'subject', 'vanish'))], []);
    });
  });
}
