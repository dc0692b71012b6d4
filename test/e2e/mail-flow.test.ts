// Mail in and out through the real server process: smtplib submits over 587 (STARTTLS) and 465
// (implicit TLS) to a local user, and an MTA-like client delivers over LMTP; the messages are
// then read back over IMAP, where a user would look for them.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, python, type Server } from './harness.js';
import { peerCertificatePem } from './tls-peer.js';

const alice = { address: 'alice@example.test', password: 'alice-submit-pw' };
const bob = { address: 'bob@example.test', password: 'bob-lmtp-password' };
let server: Server;
let work: string;

before(async () => {
  server = await startServer({ services: ['imap4', 'imap4-backend', 'submission', 'lmtp'], users: [alice, bob] });
  work = mkdtempSync(join(tmpdir(), 'portcullis-mailflow-'));
});
after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function inbox(user: { address: string; password: string }): Promise<Record<string, string[]>> {
  const r = await python('imap_tool.py', ['state', '127.0.0.1', String(server.ports.imaps), user.address, user.password]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Record<string, Record<string, string[]>>).INBOX;
}

test('smtplib submits over 587 and 465; the local recipient finds the messages over IMAP', { timeout: 120_000 }, async () => {
  const ca = join(work, 'ca.pem');
  writeFileSync(ca, await peerCertificatePem(server.ports.submissions!));
  const r = await python('smtp_submit.py', ['127.0.0.1', String(server.ports.submission), String(server.ports.submissions), alice.address, alice.password, bob.address, ca]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // smtplib's messages have no Message-ID; find them with a search.
  const search = await python('imap_search.py', ['127.0.0.1', String(server.ports.imaps), bob.address, bob.password, 'SUBJECT', 'via']);
  assert.equal(search.code, 0, search.stderr);
  assert.deepEqual(JSON.parse(search.stdout), { count: 2, received_tls: true });
});

function lmtpSession(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    let step = 0;
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString();
      // Each reply line ending in "\r\n" whose 4th char is a space completes a reply.
      const complete = got.split('\r\n').filter((l) => /^\d{3} /.test(l)).length;
      while (step < lines.length && complete > step) s.write(lines[step++]);
      if (step === lines.length && complete > lines.length) s.end();
    });
    s.on('close', () => resolve(got));
  });
}

test('LMTP: per-recipient replies, and the delivered message lands in the right INBOX', { timeout: 60_000 }, async () => {
  const msg = 'From: mta@example.test\r\nTo: bob@example.test\r\nSubject: over lmtp\r\nMessage-ID: <lmtp1@example.test>\r\n\r\nhello\r\n.\r\n';
  const transcript = await lmtpSession(server.ports.lmtp!, [
    'LHLO mta.example.test\r\n', 'MAIL FROM:<mta@example.test>\r\n', 'RCPT TO:<bob@example.test>\r\n',
    'RCPT TO:<nobody@example.test>\r\n', 'RCPT TO:<alice@example.test>\r\n', 'DATA\r\n', msg, 'QUIT\r\n',
  ]);
  const replies = transcript.split('\r\n').filter((l) => /^\d{3} /.test(l));
  // greeting, LHLO, MAIL, RCPT bob, RCPT nobody, RCPT alice, DATA(354), then one reply per accepted recipient.
  assert.match(replies[4], /^550 5\.1\.1/);
  assert.match(replies[6], /^354/);
  assert.match(replies[7], /^250 2\.0\.0/);
  assert.match(replies[8], /^250 2\.0\.0/);
  assert.ok((await inbox(bob))['lmtp1@example.test'], 'bob got it');
  assert.ok((await inbox(alice))['lmtp1@example.test'], 'alice got it');
});

test('8-bit UTF-8 with SMTPUTF8 and BODY=8BITMIME is delivered byte for byte', { timeout: 60_000 }, async () => {
  const sent = await python('smtp_utf8.py', ['127.0.0.1', String(server.ports.submissions), alice.address, alice.password, bob.address]);
  assert.equal(sent.code, 0, sent.stderr);
  const got = await python('imap_fetch_raw.py', ['127.0.0.1', String(server.ports.imaps), bob.address, bob.password, 'utf8-1@example.test']);
  assert.equal(got.code, 0, got.stderr);
  // The stored message is the submitted one after our Received: header.
  const body = Buffer.from(got.stdout, 'base64').toString('utf8');
  assert.ok(body.endsWith(sent.stdout), 'delivered bytes end with exactly what was sent');
  assert.match(body, /^Received: /);
});
