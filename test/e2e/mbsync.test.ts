// mbsync (Debian's isync) syncs a 1,000-message mailbox down over implicit TLS, both sides then
// change flags and move and delete messages, a second sync runs, and both sides must agree.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, python, type Server } from './harness.js';
import { peerCertificatePem } from './tls-peer.js';

const user = 'mia@example.test';
const password = 'mia-sync-password';
const COUNT = 1000;
let server: Server;
let work: string;

before(async () => {
  server = await startServer({ users: [{ address: user, password }] });
  work = mkdtempSync(join(tmpdir(), 'portcullis-mbsync-'));
});
after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const FLAG_LETTERS: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };

/** {mailbox: {message-id: flags}} as the local maildir has it. */
function localState(root: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const folder of readdirSync(root)) {
    const msgs: Record<string, string[]> = {};
    for (const sub of ['cur', 'new']) {
      const dir = join(root, folder, sub);
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir)) {
        const mid = /Message-ID: <([^>]+)>/i.exec(readFileSync(join(dir, file), 'latin1'))?.[1];
        assert.ok(mid, `message id in ${file}`);
        const letters = /:2,([A-Za-z]*)$/.exec(file)?.[1] ?? '';
        msgs[mid] = [...letters].map((l) => FLAG_LETTERS[l]).filter(Boolean).sort();
      }
    }
    out[folder] = msgs;
  }
  return out;
}

async function remoteState(): Promise<Record<string, Record<string, string[]>>> {
  const r = await python('imap_tool.py', ['state', '127.0.0.1', String(server.ports.imaps), user, password]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, Record<string, string[]>>;
}

function mbsync(config: string): void {
  const r = spawnSync('mbsync', ['-c', config, '-a'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `mbsync failed: ${r.stdout}\n${r.stderr}`);
}

function nonEmpty(state: Record<string, Record<string, string[]>>): Record<string, Record<string, string[]>> {
  return Object.fromEntries(Object.entries(state).filter(([, v]) => Object.keys(v).length > 0));
}

test('mbsync: full sync down, changes on both sides, second sync, both sides agree', { skip: spawnSync('mbsync', ['--version']).error ? 'mbsync (Debian package isync) is not installed' : false }, async () => {
  const load = await python('imap_tool.py', ['load', '127.0.0.1', String(server.ports.imaps), user, password, 'INBOX', String(COUNT)]);
  assert.equal(load.code, 0, load.stderr);

  const certFile = join(work, 'server.pem');
  writeFileSync(certFile, await peerCertificatePem(server.ports.imaps!));
  const maildir = join(work, 'mail');
  mkdirSync(maildir);
  const config = join(work, 'mbsyncrc');
  writeFileSync(config, [
    'IMAPAccount portcullis', 'Host 127.0.0.1', `Port ${server.ports.imaps}`, `User ${user}`, `Pass ${password}`,
    'SSLType IMAPS', `CertificateFile ${certFile}`, '',
    'IMAPStore remote', 'Account portcullis', '',
    'MaildirStore local', `Path ${maildir}/`, `Inbox ${maildir}/INBOX`, 'SubFolders Verbatim', '',
    'Channel sync', 'Far :remote:', 'Near :local:', 'Patterns *', 'Create Both', 'Expunge Both', `SyncState *`, '',
  ].join('\n'));

  mbsync(config);
  const first = localState(maildir);
  assert.equal(Object.keys(first.INBOX).length, COUNT);
  assert.deepEqual(nonEmpty(first), nonEmpty(await remoteState()));

  // Local side: mark 1..10 seen, move 11..15 into Archive.
  for (const sub of ['cur', 'new']) {
    const dir = join(maildir, 'INBOX', sub);
    for (const file of readdirSync(dir)) {
      const n = Number(/Message-ID: <(\d+)@load.test>/.exec(readFileSync(join(dir, file), 'latin1'))![1]);
      if (n <= 10) {
        const base = file.replace(/:2,[A-Za-z]*$/, '');
        renameSync(join(dir, file), join(maildir, 'INBOX', 'cur', `${base}:2,S`));
      } else if (n <= 15) {
        mkdirSync(join(maildir, 'Archive', 'cur'), { recursive: true });
        renameSync(join(dir, file), join(maildir, 'Archive', 'cur', file.replace(/,U=\d+/, '')));
      }
    }
  }
  // Remote side: flag 21..30, move 31..35 to Trash, delete 36..38.
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i)).join(',');
  const mut = await python('imap_tool.py', ['mutate', '127.0.0.1', String(server.ports.imaps), user, password, range(21, 30), range(31, 35), range(36, 38)]);
  assert.equal(mut.code, 0, mut.stderr);

  mbsync(config);
  const local = nonEmpty(localState(maildir));
  const remote = nonEmpty(await remoteState());
  assert.deepEqual(local, remote);
  assert.equal(Object.keys(remote.INBOX).length, COUNT - 5 - 5 - 3);
  assert.deepEqual(Object.keys(remote.Archive).sort(), ['11', '12', '13', '14', '15'].map((n) => `${n}@load.test`));
  assert.deepEqual(Object.keys(remote.Trash).sort(), ['31', '32', '33', '34', '35'].map((n) => `${n}@load.test`));
  assert.deepEqual(remote.INBOX['5@load.test'], ['\\Seen']);
  assert.deepEqual(remote.INBOX['25@load.test'], ['\\Flagged']);
  assert.equal(remote.INBOX['37@load.test'], undefined);
});
