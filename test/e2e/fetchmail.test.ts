// fetchmail (Debian package) downloads a 500-message maildrop over POP3 with implicit TLS, first
// with --keep and then without; every byte of every message must match what was delivered.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync, mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, python, type Server } from './harness.js';

const user = 'fred@example.test';
const password = 'fred-fetch-password';
const COUNT = 500;
let server: Server;
let work: string;

before(async () => {
  server = await startServer({ users: [{ address: user, password }] });
  work = mkdtempSync(join(tmpdir(), 'portcullis-fetchmail-'));
});
after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Varied messages: dot-leading lines, long lines, 8-bit text, bare-LF ones, attachments. */
function message(i: number): Buffer {
  const eol = i % 10 === 0 ? '\n' : '\r\n';
  const lines = [
    `From: Sender ${i} <s${i}@example.test>`, `To: ${user}`, `Subject: fetch ${i} caf\u00e9`,
    `Message-ID: <${i}@fetch.test>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit', '',
    `Body of ${i}.`, '.a line that starts with a dot', '..two dots', '.', 'x'.repeat(900 + (i % 50)),
    `\u00fcml\u00e4ute ${'y'.repeat(i % 300)}`, '',
  ];
  return Buffer.from(lines.join(eol), 'utf8');
}

const norm = (b: Buffer) => b.toString('latin1').replace(/\r\n/g, '\n');

function runFetchmail(rc: string, out: string, keep: boolean): void {
  const r = spawnSync('fetchmail', ['-f', rc, '--nosyslog', '-i', join(work, 'fetchids'), '--pidfile', join(work, 'fetchmail.pid'), keep ? '--keep' : '--nokeep', '--all', '--invisible'],
    { encoding: 'utf8', timeout: 300_000, env: { ...process.env, HOME: work } });
  // fetchmail exits 0 when it retrieved mail, 1 when there was none.
  assert.equal(r.status, 0, `fetchmail exited ${r.status}: ${r.stdout}\n${r.stderr}`);
  const files = readdirSync(out);
  assert.equal(files.length, COUNT, 'every message downloaded');
  for (const f of files) {
    const got = readFileSync(join(out, f));
    const id = Number(/Message-ID: <(\d+)@fetch.test>/.exec(got.toString('latin1'))![1]);
    assert.equal(norm(got), norm(message(id)), `message ${id} byte for byte`);
  }
}

test('fetchmail: 500 messages with --keep, then without; byte-exact, maildrop emptied', { skip: spawnSync('fetchmail', ['--version']).error ? 'fetchmail is not installed' : false }, async () => {
  const src = join(work, 'src');
  mkdirSync(src);
  for (let i = 1; i <= COUNT; i++) writeFileSync(join(src, String(i).padStart(4, '0')), message(i));
  const load = await python('imap_tool.py', ['loaddir', '127.0.0.1', String(server.ports.imaps), user, password, 'INBOX', src]);
  assert.equal(load.code, 0, load.stderr);

  const rc = join(work, 'fetchmailrc');
  const out1 = join(work, 'out1');
  const out2 = join(work, 'out2');
  mkdirSync(out1);
  mkdirSync(out2);
  const rcFor = (out: string) => [
    'set no syslog',
    `poll 127.0.0.1 with protocol POP3 port ${server.ports.pop3s} timeout 60:`,
    `  user "${user}" there with password "${password}" is "root" here`,
    '  options ssl no sslcertck no rewrite',
    `  mda "cat > $(mktemp ${out}/m.XXXXXX)"`, '',
  ].join('\n');
  writeFileSync(rc, rcFor(out1));
  chmodSync(rc, 0o600);
  runFetchmail(rc, out1, true);
  writeFileSync(rc, rcFor(out2));
  runFetchmail(rc, out2, false);

  const state = await python('imap_tool.py', ['state', '127.0.0.1', String(server.ports.imaps), user, password]);
  assert.equal(state.code, 0, state.stderr);
  assert.deepEqual((JSON.parse(state.stdout) as Record<string, object>).INBOX, {}, 'maildrop empty after the run without --keep');
});
