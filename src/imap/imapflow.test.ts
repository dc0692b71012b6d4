import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { startHarness, message, USER, PASSWORD, type Harness } from './test-support.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

function client(secure: boolean): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1', port: secure ? h.implicitPort : h.starttlsPort, secure, doSTARTTLS: secure ? undefined : true,
    servername: 'localhost', tls: { ca: [h.certPem], servername: 'localhost' },
    auth: { user: USER, pass: PASSWORD }, logger: false, qresync: true,
  } as ConstructorParameters<typeof ImapFlow>[0]);
}

test('imapflow: a Thunderbird-like flow over implicit TLS', async (t) => {
  for (let i = 1; i <= 3; i++) await h.mailboxes.deliver(USER, message(`Flow ${i}`, `Body ${i}\r\n`));
  const c = client(true);
  t.after(() => c.close());
  await c.connect();
  const boxes = await c.list();
  const trash = boxes.find((b) => b.specialUse === '\\Trash');
  assert.equal(trash?.path, 'Trash');
  const lock = await c.getMailboxLock('INBOX');
  try {
    assert.equal((c.mailbox as { exists: number }).exists, 3);
    const seen: string[] = [];
    for await (const m of c.fetch('1:*', { uid: true, envelope: true, flags: true, bodyStructure: true })) {
      seen.push(m.envelope?.subject ?? '');
      assert.equal(m.bodyStructure?.type, 'text/plain');
    }
    assert.deepEqual(seen, ['Flow 1', 'Flow 2', 'Flow 3']);
    const one = await c.fetchOne('2', { source: true });
    assert.ok(one && one.source?.toString().includes('Body 2'));
    const part = await c.download('1', '1');
    const chunks: Buffer[] = [];
    for await (const ch of part.content) chunks.push(ch as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'Body 1\r\n');
    await c.messageFlagsAdd('1', ['\\Flagged']);
    const flagged = await c.fetchOne('1', { flags: true });
    assert.ok(flagged && flagged.flags?.has('\\Flagged'));
    const moved = await c.messageMove('3', 'Trash');
    assert.ok(moved && moved.uidMap && moved.uidMap.size === 1);
    // (with QRESYNC the server reports VANISHED, which imapflow does not count down in `exists`)
    assert.deepEqual(await c.search({ all: true }), [1, 2]);
    const found = await c.search({ subject: 'Flow 2' });
    assert.deepEqual(found, [2]);
  } finally {
    lock.release();
  }
  const appended = await c.append('Sent', message('Sent one'), ['\\Seen']);
  assert.ok(appended && (appended as { uid?: number }).uid);
  const st = await c.status('Sent', { messages: true, unseen: true });
  assert.equal(st.messages, 1);
  assert.equal(st.unseen, 0);
  await c.logout();
});

test('imapflow: STARTTLS login and IDLE notification', async (t) => {
  const c = client(false);
  t.after(() => c.close());
  await c.connect();
  await c.mailboxOpen('INBOX');
  const before = (c.mailbox as { exists: number }).exists;
  const got = new Promise<number>((resolve) => c.on('exists', (d: { count: number }) => resolve(d.count)));
  const idling = c.idle();
  await h.mailboxes.deliver(USER, message('Idle news'));
  assert.equal(await got, before + 1);
  await c.logout();
  await idling.catch(() => {});
});
