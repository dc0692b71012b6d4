// Unit tests of server-sent read receipts: the RFC 8098 skip rules, the MDN as our own MIME
// indexer reads it, and the sender against a real SQLite store (local delivery, the queue,
// $MDNSent at most once, suppression, no queue).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Logger } from '../core/log.js';
import { indexMessage } from '../message/indexer.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MailStore } from '../store/store.js';
import { LocalChangeFeed } from './feed.js';
import { buildMdn, createReadReceipts, decideReadReceipt, isDownloadSection, MDN_SENT_KEYWORD, type MdnTransport } from './read-receipts.js';
import { createMailboxService } from './service.js';

function head(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

const BASE = ['From: Bob <bob@example.org>', 'To: alice@example.test', 'Subject: Quarterly report', 'Message-ID: <q1@example.org>'];

test('decideReadReceipt: one well-formed address gets an MDN', () => {
  assert.deepEqual(decideReadReceipt(head(...BASE, 'Disposition-Notification-To: Bob <bob@example.org>')), { send: true, notifyTo: 'bob@example.org' });
  assert.deepEqual(decideReadReceipt(head(...BASE, 'Disposition-Notification-To: bob@example.org', 'Return-Path: <bob@EXAMPLE.org>')), { send: true, notifyTo: 'bob@example.org' });
  // The raw value is parsed, not the decoded one: a comma inside an encoded word is still one address.
  assert.deepEqual(decideReadReceipt(head(...BASE, 'Disposition-Notification-To: =?utf-8?q?Smith=2C_Bob?= <bob@example.org>')), { send: true, notifyTo: 'bob@example.org' });
});

test('decideReadReceipt: every skip rule of RFC 8098 §2.1 and §9', () => {
  const reason = (...extra: string[]): string | undefined => {
    const d = decideReadReceipt(head(...BASE, ...extra));
    return d.send ? undefined : d.reason;
  };
  assert.equal(reason(), 'not-requested');
  assert.equal(reason('Disposition-Notification-To: not an address'), 'malformed-request');
  assert.equal(reason('Disposition-Notification-To: '), 'malformed-request');
  assert.equal(reason('Disposition-Notification-To: <bob@>'), 'malformed-request');
  assert.equal(reason('Disposition-Notification-To: bob@example.org, eve@example.net'), 'several-addresses');
  assert.equal(reason('Disposition-Notification-To: bob@example.org', 'Disposition-Notification-To: eve@example.net'), 'several-addresses');
  assert.equal(reason('Disposition-Notification-To: friends: bob@example.org;'), 'several-addresses');
  assert.equal(reason('Disposition-Notification-To: bob@example.org', 'Return-Path: <eve@example.net>'), 'return-path-mismatch');
  assert.equal(reason('Disposition-Notification-To: bob@example.org', 'Return-Path: <Bob@example.org>'), 'return-path-mismatch');
  assert.equal(reason('Disposition-Notification-To: bob@example.org', 'Return-Path: <>'), 'null-return-path');
  assert.equal(reason('Disposition-Notification-To: bob@example.org', 'Content-Type: multipart/report; report-type=disposition-notification; boundary=x'), 'report');
  assert.equal(reason('Disposition-Notification-To: bob@example.org', 'Content-Type: Multipart/Report; report-type=delivery-status; boundary=x'), 'report');
});

test('isDownloadSection: whole message, text and parts; not header-only sections', () => {
  for (const s of ['', 'TEXT']) assert.equal(isDownloadSection(s), true);
  for (const s of ['HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', 'MIME']) assert.equal(isDownloadSection(s), false);
});

test('buildMdn: a multipart/report our indexer reads, with the RFC 8098 fields', () => {
  const original = head(...BASE, 'Subject: Grüße', 'Original-Recipient: rfc822;alice@example.test', 'Disposition-Notification-To: bob@example.org');
  const raw = buildMdn({ reportingHost: 'mail.example.test', recipient: 'alice@example.test', notifyTo: 'bob@example.org', originalHeader: original, now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) });
  const parsed = indexMessage(raw);
  assert.deepEqual(parsed.problems, []);
  const root = parsed.root;
  assert.equal(`${root.type}/${root.subtype}`.toLowerCase(), 'multipart/report');
  assert.deepEqual(root.params.find(([k]) => k === 'report-type'), ['report-type', 'disposition-notification']);
  assert.deepEqual(root.parts!.map((p) => `${p.type}/${p.subtype}`.toLowerCase()), ['text/plain', 'message/disposition-notification', 'text/rfc822-headers']);
  const report = raw.subarray(root.parts![1].bodyStart, root.parts![1].bodyEnd).toString();
  assert.match(report, /^Reporting-UA: mail\.example\.test; Portcullis\r$/m);
  assert.match(report, /^Original-Recipient: rfc822;alice@example\.test\r$/m);
  assert.match(report, /^Final-Recipient: rfc822; alice@example\.test\r$/m);
  assert.match(report, /^Original-Message-ID: <q1@example\.org>\r$/m);
  assert.match(report, /^Disposition: automatic-action\/MDN-sent-automatically; displayed\r$/m);
  const human = raw.subarray(root.parts![0].bodyStart, root.parts![0].bodyEnd).toString();
  assert.match(human, /alice@example\.test/);
  const copied = raw.subarray(root.parts![2].bodyStart, root.parts![2].bodyEnd).toString('latin1');
  assert.match(copied, /^Message-ID: <q1@example\.org>\r$/m);
  assert.equal(parsed.envelope.messageId?.startsWith('<mdn.'), true);
  assert.equal(parsed.envelope.inReplyTo, '<q1@example.org>');
  const headers = new Map(parsed.search.headers);
  assert.equal(headers.get('to'), '<bob@example.org>');
  assert.equal(headers.get('from'), '<alice@example.test>');
  assert.equal(headers.get('auto-submitted'), 'auto-replied');
  assert.equal(headers.get('subject'), 'Read: Quarterly report');
  // It asks for no receipt itself, and even if it did, none would be sent: it is a report.
  assert.deepEqual(decideReadReceipt(raw.subarray(0, root.bodyStart)), { send: false, reason: 'not-requested' });
  const asking = Buffer.concat([Buffer.from('Disposition-Notification-To: alice@example.test\r\n'), raw.subarray(0, root.bodyStart)]);
  assert.deepEqual(decideReadReceipt(asking), { send: false, reason: 'report' });
});

test('buildMdn: a non-ASCII subject is RFC 2047 encoded; no Original-Recipient without one in the message', () => {
  const raw = buildMdn({ reportingHost: 'h', recipient: 'alice@example.test', notifyTo: 'bob@example.org', originalHeader: head('Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=', 'Disposition-Notification-To: bob@example.org') });
  const parsed = indexMessage(raw);
  assert.equal(new Map(parsed.search.headers).get('subject'), 'Read: Grüße');
  assert.doesNotMatch(raw.toString(), /Original-Recipient:/);
  assert.doesNotMatch(raw.toString(), /Original-Message-ID:/);
});

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-mdn-'));
  const store: MailStore = await openSqliteStore(dir, { feed: new LocalChangeFeed() });
  t.after(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const service = createMailboxService(store);
  const alice = service.forAccount(await store.createAccount('alice@example.test', null));
  const bob = service.forAccount(await store.createAccount('bob@example.test', null));
  const queued: Array<{ from: string; to: string[]; raw: Buffer }> = [];
  const transport: MdnTransport = { enqueue: async (m) => { queued.push(m); return 'Q1'; } };
  const logs: string[] = [];
  const state = { suppressed: false, transport: transport as MdnTransport | null };
  const rr = createReadReceipts({
    protocol: 'imap4', suppressed: () => state.suppressed, transport: () => state.transport, mailboxes: service, accounts: store,
    reportingHost: () => 'mail.example.test', logger: new Logger((l) => logs.push(l), 'debug'),
  });
  const inbox = async (u: typeof alice) => (await u.get('INBOX'))!;
  const flags = async (u: typeof alice, uid: number) => {
    for await (const b of u.fetchRecords((await inbox(u)).id, [{ from: uid, to: uid }])) return b[0].flags;
    return [];
  };
  return { alice, bob, queued, logs, state, rr, inbox, flags };
}

const ASKING = (to: string) => Buffer.from(`From: ${to}\r\nTo: alice@example.test\r\nSubject: hi\r\nMessage-ID: <m1@x>\r\nDisposition-Notification-To: ${to}\r\n\r\nbody\r\n`);

test('sender: a local requester gets one MDN in INBOX, $MDNSent is set, a second download sends none', async (t) => {
  const { alice, bob, rr, inbox, flags, queued } = await setup(t);
  const { uid } = await alice.append('INBOX', ASKING('bob@example.test'));
  const box = await inbox(alice);
  rr.downloaded(alice, box.id, [uid]);
  await rr.idle();
  assert.equal((await inbox(bob)).messages, 1);
  assert.ok((await flags(alice, uid)).includes(MDN_SENT_KEYWORD));
  rr.downloaded(alice, box.id, [uid]);
  rr.downloaded(alice, box.id, [uid]);
  await rr.idle();
  assert.equal((await inbox(bob)).messages, 1);
  assert.equal(queued.length, 0);
});

test('sender: a remote requester goes to the queue with a null envelope sender', async (t) => {
  const { alice, rr, inbox, queued } = await setup(t);
  const { uid } = await alice.append('INBOX', ASKING('carol@remote.example'));
  rr.downloaded(alice, (await inbox(alice)).id, [uid]);
  await rr.idle();
  assert.equal(queued.length, 1);
  assert.deepEqual([queued[0].from, queued[0].to], ['', ['carol@remote.example']]);
  assert.match(queued[0].raw.toString(), /report-type=disposition-notification/);
});

test('sender: suppressed sends nothing and sets no keyword; no queue logs once and marks nothing', async (t) => {
  const { alice, bob, rr, inbox, flags, state, logs } = await setup(t);
  const { uid } = await alice.append('INBOX', ASKING('bob@example.test'));
  const box = await inbox(alice);
  state.suppressed = true;
  rr.downloaded(alice, box.id, [uid]);
  await rr.idle();
  assert.equal((await inbox(bob)).messages, 0);
  assert.deepEqual(await flags(alice, uid), []);
  state.suppressed = false;
  state.transport = null;
  rr.downloaded(alice, box.id, [uid]);
  rr.downloaded(alice, box.id, [uid]);
  await rr.idle();
  assert.equal((await inbox(bob)).messages, 0);
  assert.deepEqual(await flags(alice, uid), []);
  assert.equal(logs.filter((l) => l.includes('read-receipt.no-queue')).length, 1);
});

test('sender: unlessSeen skips a message already \\Seen; a mismatched Return-Path is logged as skipped', async (t) => {
  const { alice, bob, rr, inbox, logs } = await setup(t);
  const box = await inbox(alice);
  const seen = await alice.append('INBOX', ASKING('bob@example.test'), { flags: ['\\Seen'] });
  rr.downloaded(alice, box.id, [seen.uid], { unlessSeen: true });
  const spoof = await alice.append('INBOX', Buffer.concat([Buffer.from('Return-Path: <eve@example.net>\r\n'), ASKING('bob@example.test')]));
  rr.downloaded(alice, box.id, [spoof.uid]);
  await rr.idle();
  assert.equal((await inbox(bob)).messages, 0);
  assert.ok(logs.some((l) => l.includes('read-receipt.skipped') && l.includes('return-path-mismatch')));
});
