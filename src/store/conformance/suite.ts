/**
 * The store conformance suite: every MailStore backend registers these node:test tests.
 *   runStoreConformance('sqlite', () => openSqliteStore(tmpdir()), { openShared })
 * `open` must give a fresh, empty store each call; `openShared` (optional) gives two instances
 * over the same data, as two processes would have them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMailError } from '../../core/errors.js';
import { DEFAULT_MAILBOXES, type MailStore } from '../store.js';
import { inboxOf, input, newAccount } from './fixtures.js';
import { registerMessageTests } from './suite-messages.js';

export interface ConformanceOptions {
  /** Two store instances over the same data (as two processes would hold them). */
  openShared?: () => Promise<[MailStore, MailStore]>;
}

export type Use = (t: { after(fn: () => unknown): void }) => Promise<MailStore>;

export function rejectsWith(code: Parameters<typeof isMailError>[1]) {
  return (err: unknown): boolean => {
    assert.ok(isMailError(err, code), `expected MailError ${code}, got ${String(err)}`);
    return true;
  };
}

export function runStoreConformance(name: string, open: () => Promise<MailStore>, opts: ConformanceOptions = {}): void {
  const use: Use = async (t) => {
    const store = await open();
    t.after(() => store.close());
    return store;
  };

  describe(`store conformance: ${name}`, () => {
    describe('accounts', () => {
      test('a new account is stored lower-cased and found in any casing, with the default mailboxes', async (t) => {
        const store = await use(t);
        const a = await store.createAccount('Bob.Smith@Example.ORG', '$argon2id$x');
        assert.equal(a.address, 'bob.smith@example.org');
        assert.equal(a.passwordHash, '$argon2id$x');
        assert.equal((await store.getAccount('BOB.SMITH@example.org'))?.id, a.id);
        assert.equal((await store.getAccountById(a.id))?.address, 'bob.smith@example.org');
        const boxes = await store.listMailboxes(a.id);
        for (const d of DEFAULT_MAILBOXES) {
          const mb = boxes.find((b) => b.name === d.name);
          assert.ok(mb, `default mailbox ${d.name} exists`);
          assert.equal(mb.specialUse, d.specialUse);
          assert.ok(mb.uidValidity > 0 && mb.uidValidity <= 0xffffffff);
          assert.equal(mb.uidNext, 1);
          assert.equal(mb.messages, 0);
        }
        assert.ok((await store.listAccounts()).some((x) => x.id === a.id));
      });

      test('a duplicate account is refused with ALREADYEXISTS', async (t) => {
        const store = await use(t);
        await store.createAccount('dup@example.org', null);
        await assert.rejects(store.createAccount('DUP@example.org', null), rejectsWith('ALREADYEXISTS'));
      });

      test('updateAccount changes the fields given; deleteAccount removes the account and its mail', async (t) => {
        const store = await use(t);
        const a = await newAccount(store);
        await store.updateAccount(a.id, { quotaBytes: 1000, popEnabled: false, passwordHash: 'h2' });
        const u = await store.getAccountById(a.id);
        assert.equal(u?.quotaBytes, 1000);
        assert.equal(u?.popEnabled, false);
        assert.equal(u?.imapEnabled, true);
        assert.equal(u?.passwordHash, 'h2');
        const inbox = await inboxOf(store, a.id);
        await store.append(inbox.id, input());
        assert.ok((await store.usedBytes(a.id)) > 0);
        await store.deleteAccount(a.id);
        assert.equal(await store.getAccountById(a.id), null);
        assert.equal(await store.getMailboxById(inbox.id), null);
        assert.deepEqual(await store.checkIntegrity(), []);
        await assert.rejects(store.updateAccount(a.id, { quotaBytes: 1 }), rejectsWith('NONEXISTENT'));
      });

      test('a backend pin is set, kept by other updates, cleared with null; junk is refused', async (t) => {
        const store = await use(t);
        const a = await newAccount(store);
        assert.equal((await store.getAccountById(a.id))?.backend ?? null, null);
        await store.updateAccount(a.id, { backend: 'be2.example.org:1993' });
        await store.updateAccount(a.id, { quotaBytes: 5 });
        assert.equal((await store.getAccount(a.address))?.backend, 'be2.example.org:1993');
        assert.equal((await store.listAccounts()).find((x) => x.id === a.id)?.backend, 'be2.example.org:1993');
        await assert.rejects(store.updateAccount(a.id, { backend: 'bad host' }), rejectsWith('BADINPUT'));
        await store.updateAccount(a.id, { backend: null });
        assert.equal((await store.getAccountById(a.id))?.backend, null);
      });

      test('app passwords: created, listed by name with their protocols, touched, removed, gone with the account', async (t) => {
        const store = await use(t);
        assert.ok(store.createAppPassword && store.listAppPasswords && store.deleteAppPassword && store.touchAppPassword, 'the store keeps app passwords');
        const a = await newAccount(store);
        const other = await newAccount(store);
        const phone = await store.createAppPassword(a.id, 'phone', '$argon2id$phone', ['imap4', 'smtp']);
        assert.deepEqual([phone.accountId, phone.name, phone.passwordHash, phone.protocols, phone.lastUsedAt], [a.id, 'phone', '$argon2id$phone', ['imap4', 'smtp'], null]);
        assert.ok(phone.createdAt instanceof Date && Math.abs(phone.createdAt.getTime() - Date.now()) < 60_000);
        await store.createAppPassword(a.id, 'laptop', '$argon2id$laptop', ['pop3']);
        await store.createAppPassword(other.id, 'phone', '$argon2id$other', ['imap4']);
        await assert.rejects(store.createAppPassword(a.id, 'phone', '$argon2id$again', ['imap4']), rejectsWith('ALREADYEXISTS'));
        await assert.rejects(store.createAppPassword(a.id, 'two words', '$argon2id$x', ['imap4']), rejectsWith('BADINPUT'));
        await assert.rejects(store.createAppPassword(999_999, 'ghost', '$argon2id$x', ['imap4']), rejectsWith('NONEXISTENT'));
        assert.deepEqual((await store.listAppPasswords(a.id)).map((p) => [p.name, p.protocols]), [['laptop', ['pop3']], ['phone', ['imap4', 'smtp']]]);
        const used = new Date(Date.now() - 5000);
        await store.touchAppPassword(phone.id, used);
        assert.equal((await store.listAppPasswords(a.id)).find((p) => p.name === 'phone')?.lastUsedAt?.getTime(), used.getTime());
        assert.equal(await store.deleteAppPassword(a.id, 'laptop'), true);
        assert.equal(await store.deleteAppPassword(a.id, 'laptop'), false);
        assert.deepEqual((await store.listAppPasswords(a.id)).map((p) => p.name), ['phone']);
        await store.deleteAccount(a.id);
        assert.deepEqual(await store.listAppPasswords(a.id), []);
        assert.deepEqual((await store.listAppPasswords(other.id)).map((p) => p.passwordHash), ['$argon2id$other'], 'another account keeps its own');
      });
    });

    describe('mailboxes', () => {
      test('INBOX is case-insensitive and stored as INBOX', async (t) => {
        const store = await use(t);
        const a = await newAccount(store);
        const inbox = await inboxOf(store, a.id);
        assert.equal((await store.getMailbox(a.id, 'inbox'))?.id, inbox.id);
        assert.equal((await store.getMailbox(a.id, 'InBoX'))?.name, 'INBOX');
        await assert.rejects(store.createMailbox(a.id, 'Inbox'), rejectsWith('ALREADYEXISTS'));
        const child = await store.createMailbox(a.id, 'inbox/Sub');
        assert.equal(child.name, 'INBOX/Sub');
        assert.equal((await store.getMailbox(a.id, 'Inbox/Sub'))?.id, child.id);
        // Other names are case-sensitive.
        await store.createMailbox(a.id, 'Work');
        assert.equal(await store.getMailbox(a.id, 'work'), null);
      });

      test('names are UTF-8 and unique per account, not across accounts', async (t) => {
        const store = await use(t);
        const a = await newAccount(store);
        const b = await newAccount(store);
        const mb = await store.createMailbox(a.id, 'Entwürfe/日本語', '\\Drafts');
        assert.equal(mb.name, 'Entwürfe/日本語');
        assert.equal(mb.specialUse, '\\Drafts');
        assert.equal((await store.getMailbox(a.id, 'Entwürfe/日本語'))?.id, mb.id);
        await assert.rejects(store.createMailbox(a.id, 'Entwürfe/日本語'), rejectsWith('ALREADYEXISTS'));
        const other = await store.createMailbox(b.id, 'Entwürfe/日本語');
        assert.notEqual(other.id, mb.id);
      });

      test('a re-created mailbox gets a new UIDVALIDITY', async (t) => {
        const store = await use(t);
        const a = await newAccount(store);
        const first = await store.createMailbox(a.id, 'Again');
        await store.append(first.id, input());
        await store.deleteMailbox(first.id);
        assert.equal(await store.getMailbox(a.id, 'Again'), null);
        const second = await store.createMailbox(a.id, 'Again');
        assert.notEqual(second.uidValidity, first.uidValidity);
        assert.notEqual(second.id, first.id);
        assert.equal(second.messages, 0);
        assert.deepEqual(await store.checkIntegrity(), []);
      });

      test('rename moves the mailbox and its children and keeps UIDs, refusing existing targets', async (t) => {
        const store = await use(t);
        const a = await newAccount(store);
        const p = await store.createMailbox(a.id, 'Projects');
        const c = await store.createMailbox(a.id, 'Projects/2024');
        await store.createMailbox(a.id, 'ProjectsX');
        const r = await store.append(c.id, input({ subject: 'child' }));
        await store.setSubscribed(a.id, 'Projects/2024', true);
        await store.renameMailbox(p.id, 'Archive/Old projects');
        assert.equal(await store.getMailbox(a.id, 'Projects'), null);
        assert.equal(await store.getMailbox(a.id, 'Projects/2024'), null);
        assert.equal((await store.getMailbox(a.id, 'Archive/Old projects'))?.id, p.id);
        const moved = await store.getMailbox(a.id, 'Archive/Old projects/2024');
        assert.equal(moved?.id, c.id);
        assert.equal(moved?.uidValidity, c.uidValidity);
        assert.deepEqual(Array.from(await store.listUids(c.id)), [r.uid]);
        assert.ok(await store.getMailbox(a.id, 'ProjectsX'), 'a sibling sharing the prefix is not a child');
        assert.ok((await store.listSubscriptions(a.id)).includes('Archive/Old projects/2024'));
        await assert.rejects(store.renameMailbox(p.id, 'ProjectsX'), rejectsWith('ALREADYEXISTS'));
        await assert.rejects(store.renameMailbox(p.id, 'Archive/Old projects/2024/deeper'), rejectsWith('CANNOT'));
      });

      test('subscriptions may name mailboxes that do not exist; INBOX is normalised', async (t) => {
        const store = await use(t);
        const a = await newAccount(store);
        await store.setSubscribed(a.id, 'Does/Not/Exist', true);
        await store.setSubscribed(a.id, 'Does/Not/Exist', true);
        await store.setSubscribed(a.id, 'inbox', true);
        const subs = await store.listSubscriptions(a.id);
        assert.equal(subs.filter((s) => s === 'Does/Not/Exist').length, 1);
        assert.ok(subs.includes('INBOX'));
        assert.ok(!subs.includes('inbox'));
        await store.setSubscribed(a.id, 'Does/Not/Exist', false);
        assert.ok(!(await store.listSubscriptions(a.id)).includes('Does/Not/Exist'));
        const mb = await store.createMailbox(a.id, 'Lists');
        assert.equal((await store.getMailboxById(mb.id))?.subscribed, false);
        await store.setSubscribed(a.id, 'Lists', true);
        assert.equal((await store.getMailboxById(mb.id))?.subscribed, true);
      });

      test('operations on a missing mailbox fail with NONEXISTENT', async (t) => {
        const store = await use(t);
        await assert.rejects(store.append(987654, input()), rejectsWith('NONEXISTENT'));
        await assert.rejects(store.deleteMailbox(987654), rejectsWith('NONEXISTENT'));
        await assert.rejects(store.renameMailbox(987654, 'x'), rejectsWith('NONEXISTENT'));
        await assert.rejects(store.claimRecent(987654), rejectsWith('NONEXISTENT'));
        assert.equal(await store.getMailboxById(987654), null);
      });
    });

    describe('locks', () => {
      test('a lock is exclusive until unlocked', async (t) => {
        const store = await use(t);
        assert.equal(await store.tryLock('pop3:1', 'session-a', 60_000), true);
        assert.equal(await store.tryLock('pop3:1', 'session-b', 60_000), false);
        assert.equal(await store.renewLock('pop3:1', 'session-a', 60_000), true);
        assert.equal(await store.renewLock('pop3:1', 'session-b', 60_000), false);
        await store.unlock('pop3:1', 'session-b'); // not the holder: no effect
        assert.equal(await store.tryLock('pop3:1', 'session-b', 60_000), false);
        await store.unlock('pop3:1', 'session-a');
        assert.equal(await store.tryLock('pop3:1', 'session-b', 60_000), true);
        assert.equal(await store.tryLock('pop3:2', 'session-a', 60_000), true, 'locks are per name');
      });

      test('an expired lock can be taken by another holder, and the old holder cannot renew it', async (t) => {
        const store = await use(t);
        const start = Date.now();
        assert.equal(await store.tryLock('maildrop', 'dead', 5), true);
        while (Date.now() < start + 10) await new Promise((r) => setImmediate(r));
        assert.equal(await store.tryLock('maildrop', 'alive', 60_000), true);
        assert.equal(await store.renewLock('maildrop', 'dead', 60_000), false);
      });
    });

    registerMessageTests(use, opts);
  });
}
