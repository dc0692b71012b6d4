// Server-sent read receipts (suppress-read-receipt, RFC 8098 MDNs) through the real server
// process: bob asks for a receipt, alice downloads the message with Python's imaplib or poplib,
// and bob finds exactly one MDN in his INBOX; alice's message carries $MDNSent. BODY.PEEK,
// repeated downloads and suppress-read-receipt true send none. An absence is shown with a
// barrier: a later download that does send (the sender works one message after the other).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, cliOk, type Server } from './harness.js';

const alice = { address: 'alice@example.test', password: 'alice-mdn-password' };
const bob = { address: 'bob@example.test', password: 'bob-mdn-password' };
let server: Server;

const CLIENT = String.raw`
import imaplib, poplib, ssl, sys, json, re
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
cmd, host, port, user, pw = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
if cmd == 'pop':
    p = poplib.POP3_SSL(host, port, context=ctx); p.user(user); p.pass_(pw)
    wanted = sys.argv[6].split(',')
    for i in range(1, len(p.list()[1]) + 1):
        hit = re.search(rb'^Message-ID:\s*<([^>]+)>', b'\n'.join(p.top(i, 0)[1]), re.M | re.I)
        if hit and hit.group(1).decode() in wanted:
            p.retr(i); p.retr(i)
    p.quit(); print('{}'); sys.exit(0)
m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx); m.login(user, pw); m.select('INBOX')
if cmd == 'mdns':
    out = {}
    typ, data = m.uid('FETCH', '1:*', '(BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE IN-REPLY-TO)])')
    for item in data:
        if isinstance(item, tuple) and b'disposition-notification' in item[1]:
            hit = re.search(rb'In-Reply-To: <([^>]+)>', item[1]); key = hit.group(1).decode() if hit else '?'
            out[key] = out.get(key, 0) + 1
    print(json.dumps(out))
else:
    typ, data = m.uid('SEARCH', 'HEADER', 'Message-ID', '<%s>' % sys.argv[6])
    uid = data[0].split()[0]
    if cmd == 'refetch':
        assert m.uid('STORE', uid, '-FLAGS', '(\\Seen)')[0] == 'OK'
    if cmd in ('fetch', 'refetch'):
        typ, d = m.uid('FETCH', uid, '(BODY[])'); assert typ == 'OK' and b'Hello Alice' in d[0][1]
    if cmd == 'peek':
        typ, d = m.uid('FETCH', uid, '(BODY.PEEK[])'); assert typ == 'OK'
    typ, d = m.uid('FETCH', uid, '(FLAGS)')
    flags = re.search(rb'FLAGS \(([^)]*)\)', d[0]).group(1).decode().split()
    print(json.dumps(sorted(f for f in flags if f != '\\Recent')))
m.logout()
`;

function client(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', CLIENT, ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as unknown) : reject(new Error(`client ${args[0]} exited ${code}: ${err}`))));
  });
}

const imap = (user: typeof alice, cmd: string, id = ''): Promise<unknown> =>
  client([cmd, '127.0.0.1', String(server.ports.imaps), user.address, user.password, ...(id ? [id] : [])]);
const aliceFlags = async (id: string, cmd = 'flags'): Promise<string[]> => (await imap(alice, cmd, id)) as string[];
const bobsMdns = async (): Promise<Record<string, number>> => (await imap(bob, 'mdns')) as Record<string, number>;
const pop = (ids: string[]): Promise<unknown> => client(['pop', '127.0.0.1', String(server.ports.pop3s), alice.address, alice.password, ids.join(',')]);

/** Polls bob's INBOX until the MDN for `id` is there (the sender runs in the background). */
async function mdnArrives(id: string): Promise<Record<string, number>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const mdns = await bobsMdns();
    if (mdns[id]) return mdns;
    if (Date.now() > deadline) throw new Error(`no MDN for ${id} in bob's INBOX: ${JSON.stringify(mdns)}\n${server.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function deliverAsking(id: string): void {
  const msg = `From: Bob <${bob.address}>\r\nTo: ${alice.address}\r\nSubject: Please confirm ${id}\r\nMessage-ID: <${id}>\r\n` +
    `Disposition-Notification-To: Bob <${bob.address}>\r\n\r\nHello Alice, please confirm.\r\n`;
  cliOk(server.dataDir, ['deliver', '--to', alice.address], msg);
}

before(async () => {
  // Submission is enabled so the outbound queue runs (read receipts go through it).
  server = await startServer({ services: ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'submission'], users: [alice, bob] });
  for (const id of ['m1@mdn.test', 'm2@mdn.test', 'm3@mdn.test', 'm4@mdn.test', 'm5@mdn.test', 'p1@mdn.test', 'p2@mdn.test']) deliverAsking(id);
});
after(async () => {
  await server?.stop();
});

test('IMAP FETCH BODY[] sends one MDN and sets $MDNSent; a second download and BODY.PEEK send none', { timeout: 120_000 }, async () => {
  await aliceFlags('m1@mdn.test', 'fetch');
  const first = await mdnArrives('m1@mdn.test');
  assert.equal(first['m1@mdn.test'], 1);
  assert.deepEqual(await aliceFlags('m1@mdn.test'), ['$MDNSent', '\\Seen']);
  // Unread again and downloaded again: $MDNSent stops a second receipt. BODY.PEEK never sends.
  await aliceFlags('m1@mdn.test', 'refetch');
  assert.deepEqual(await aliceFlags('m2@mdn.test', 'peek'), []);
  await aliceFlags('m3@mdn.test', 'fetch'); // the barrier
  const mdns = await mdnArrives('m3@mdn.test');
  assert.deepEqual(mdns, { 'm1@mdn.test': 1, 'm3@mdn.test': 1 });
  assert.deepEqual(await aliceFlags('m2@mdn.test'), []);
});

test('IMAP with suppress-read-receipt true: no MDN, no $MDNSent', { timeout: 120_000 }, async () => {
  cliOk(server.dataDir, ['imap', 'set', '--suppress-read-receipt', 'true']);
  await server.reload();
  assert.deepEqual(await aliceFlags('m4@mdn.test', 'fetch'), ['\\Seen']);
  cliOk(server.dataDir, ['imap', 'set', '--suppress-read-receipt', 'false']);
  await server.reload();
  await aliceFlags('m5@mdn.test', 'fetch'); // the barrier
  const mdns = await mdnArrives('m5@mdn.test');
  assert.equal(mdns['m4@mdn.test'], undefined);
  assert.deepEqual(await aliceFlags('m4@mdn.test'), ['\\Seen']);
});

test('POP3 RETR sends one MDN, however often the message is retrieved', { timeout: 120_000 }, async () => {
  await pop(['p1@mdn.test']); // RETR twice in one session, then QUIT
  await mdnArrives('p1@mdn.test');
  assert.deepEqual(await aliceFlags('p1@mdn.test'), ['$MDNSent', '\\Seen']);
  await pop(['p1@mdn.test', 'p2@mdn.test']); // p1 again, and p2 as the barrier
  const mdns = await mdnArrives('p2@mdn.test');
  assert.equal(mdns['p1@mdn.test'], 1);
  assert.equal(mdns['p2@mdn.test'], 1);
});
