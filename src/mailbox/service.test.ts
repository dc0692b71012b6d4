import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMailError, type MailErrorCode } from '../core/errors.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { ChangeEvent, MailStore } from '../store/store.js';
import { LocalChangeFeed } from './feed.js';
import { createMailboxService } from './service.js';

const MSG = Buffer.from('From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nBody text\r\n');

function code(c: MailErrorCode) {
  return (err: unknown): boolean => {
    assert.ok(isMailError(err, c), `expected ${c}, got ${String(err)}`);
    return true;
  };
}

async function setup(t: { after(fn: () => unknown): void }, limits = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-mbx-'));
  const feed = new LocalChangeFeed();
  const store: MailStore = await openSqliteStore(dir, { feed });
  t.after(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const service = createMailboxService(store, limits);
  const account = await store.createAccount('user@example.org', null);
  const events: ChangeEvent[] = [];
  const user = service.forAccount(account);
  user.watch((e) => events.push(e));
  return { store, service, account, user, events, feed };
}

test('append stores the message, publishes an event, and refuses what is too big', async (t) => {
  const { user, events } = await setup(t, { maxMessageSize: 100 });
  const r = await user.append('inbox', MSG, { flags: ['\\Seen'] });
  assert.equal(r.uid, 1);
  assert.deepEqual(events.at(-1), { accountId: user.account.id, mailboxId: (await user.get('INBOX'))!.id, kind: 'append', modseq: r.modseq });
  const inbox = (await user.get('INBOX'))!;
  assert.equal(inbox.messages, 1);
  assert.ok(await user.getParsed(inbox.id, 1));
  await assert.rejects(user.append('INBOX', Buffer.alloc(101, 0x41)), code('TOOBIG'));
  await assert.rejects(user.append('Nope', MSG), code('NONEXISTENT'));
  assert.equal((await user.get('INBOX'))!.messages, 1);
});

test('quota is enforced on append and copy, and reported', async (t) => {
  const { store, user, account } = await setup(t);
  await store.updateAccount(account.id, { quotaBytes: MSG.length * 2 });
  await user.append('INBOX', MSG);
  await user.append('INBOX', MSG);
  await assert.rejects(user.append('INBOX', MSG), code('OVERQUOTA'));
  const inbox = (await user.get('INBOX'))!;
  await assert.rejects(user.copy(inbox.id, [1], 'Archive'), code('OVERQUOTA'));
  assert.deepEqual(await user.quota(), { usedBytes: MSG.length * 2, limitBytes: MSG.length * 2 });
  const moved = await user.move(inbox.id, [1], 'Archive');
  assert.deepEqual(moved.map, [[1, 1]], 'a move does not use more space');
});

test('mailbox names are checked with a reason', async (t) => {
  const { user } = await setup(t, { maxMailboxDepth: 3, maxMailboxNameLength: 20 });
  const bad = ['', '/a', 'a/', 'a//b', 'a/*', 'b%', 'x\u0000y', 'tab\there', 'a/./b', '../up', 'a/b/c/d', 'x'.repeat(21), 'bad\uD800'];
  for (const name of bad) await assert.rejects(user.create(name), code('CANNOT'), `refuses ${JSON.stringify(name)}`);
  assert.equal((await user.create('Ünïcødé')).name, 'Ünïcødé');
  assert.equal(await user.get('a/*'), null);
});

test('create makes missing parents; an existing name is ALREADYEXISTS', async (t) => {
  const { user, events } = await setup(t);
  const mb = await user.create('Work/2024/Q1');
  assert.equal(mb.name, 'Work/2024/Q1');
  assert.ok(await user.get('Work'));
  assert.ok(await user.get('Work/2024'));
  assert.equal(events.filter((e) => e.kind === 'mailbox-create').length, 3);
  await assert.rejects(user.create('Work/2024'), code('ALREADYEXISTS'));
  await assert.rejects(user.create('inbox'), code('ALREADYEXISTS'));
  assert.equal((await user.create('INBOX/Sub')).name, 'INBOX/Sub');
});

test('INBOX cannot be deleted; deleting a parent keeps its children', async (t) => {
  const { user } = await setup(t);
  await assert.rejects(user.delete('inbox'), code('CANNOT'));
  await user.create('Parent/Child');
  await user.append('Parent', MSG);
  await user.delete('Parent');
  assert.equal(await user.get('Parent'), null);
  assert.ok(await user.get('Parent/Child'));
  await assert.rejects(user.delete('Parent'), code('NONEXISTENT'));
});

test('rename moves children; renaming INBOX moves its messages and leaves INBOX empty', async (t) => {
  const { user } = await setup(t);
  await user.create('A/B');
  await user.rename('A', 'X/Y');
  assert.ok(await user.get('X'), 'missing parent created');
  assert.ok(await user.get('X/Y/B'));
  assert.equal(await user.get('A'), null);
  await assert.rejects(user.rename('X', 'X/Y/Z'), code('CANNOT'));
  await assert.rejects(user.rename('X', 'Sent'), code('ALREADYEXISTS'));
  await assert.rejects(user.rename('Sent', 'inbox'), code('ALREADYEXISTS'));
  await assert.rejects(user.rename('Nope', 'Other'), code('NONEXISTENT'));

  await user.append('INBOX', MSG);
  await user.append('INBOX', MSG);
  await user.create('INBOX/Kept');
  await user.rename('INBOX', 'Old mail');
  const inbox = (await user.get('INBOX'))!;
  const old = (await user.get('Old mail'))!;
  assert.equal(inbox.messages, 0);
  assert.equal(old.messages, 2);
  assert.ok(await user.get('INBOX/Kept'), 'INBOX children stay');
  assert.ok((await user.append('INBOX', MSG)).uid > 2, 'INBOX keeps counting UIDs');
});

test('mailbox ids of another account are NONEXISTENT', async (t) => {
  const { store, service, user } = await setup(t);
  const other = service.forAccount(await store.createAccount('other@example.org', null));
  await other.append('INBOX', MSG);
  const theirs = (await other.get('INBOX'))!;
  assert.equal(await user.getById(theirs.id), null);
  await assert.rejects(user.listUids(theirs.id), code('NONEXISTENT'));
  await assert.rejects(user.storeFlags(theirs.id, [1], 'add', ['\\Seen']), code('NONEXISTENT'));
  await assert.rejects(user.expunge(theirs.id), code('NONEXISTENT'));
  await assert.rejects(user.copy(theirs.id, [1], 'INBOX'), code('NONEXISTENT'));
  await assert.rejects(user.getParsed(theirs.id, 1), code('NONEXISTENT'));
});

test('flags, expunge and subscriptions publish events to watchers of that account only', async (t) => {
  const { store, service, user, events } = await setup(t);
  const otherEvents: ChangeEvent[] = [];
  const other = service.forAccount(await store.createAccount('other@example.org', null));
  const stop = other.watch((e) => otherEvents.push(e));
  t.after(stop);
  await user.append('INBOX', MSG);
  const inbox = (await user.get('INBOX'))!;
  await user.storeFlags(inbox.id, [1], 'add', ['\\Deleted']);
  assert.equal(events.at(-1)?.kind, 'flags');
  assert.deepEqual(await user.expunge(inbox.id), [1]);
  assert.equal(events.at(-1)?.kind, 'expunge');
  await user.subscribe('Not/There');
  assert.ok((await user.subscriptions()).includes('Not/There'));
  await user.unsubscribe('Not/There');
  assert.equal(events.at(-1)?.kind, 'subscription');
  assert.deepEqual(otherEvents, []);
});

test('deliver puts mail in INBOX or the named mailbox; unknown users and mailboxes are NONEXISTENT', async (t) => {
  const { service, user } = await setup(t);
  assert.equal((await service.deliver('USER@example.org', MSG)).uid, 1);
  assert.equal((await service.deliver('user@example.org', MSG, { mailbox: 'Junk', flags: ['$Junk'] })).uid, 1);
  assert.equal((await user.get('INBOX'))!.messages, 1);
  assert.equal((await user.get('Junk'))!.messages, 1);
  await assert.rejects(service.deliver('nobody@example.org', MSG), code('NONEXISTENT'));
  await assert.rejects(service.deliver('user@example.org', MSG, { mailbox: 'Missing' }), code('NONEXISTENT'));
});

test('a throwing watcher does not disturb the writer or other watchers', async (t) => {
  const { user, events } = await setup(t);
  user.watch(() => { throw new Error('broken listener'); });
  await user.append('INBOX', MSG);
  assert.equal(events.at(-1)?.kind, 'append');
});
