/**
 * Durability: a process delivering a stream of messages is killed with SIGKILL at an arbitrary
 * moment; afterwards every acknowledged message is there byte for byte, the database passes
 * its integrity check, every referenced blob exists and hashes right, and delivery works again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { defaultConfig, saveConfig } from '../../src/config/config.js';
import { createMailboxService } from '../../src/mailbox/service.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MailStore } from '../../src/store/store.js';
import { durabilityMessage } from './helpers/durability-messages.js';

const ADDRESS = 'durable@example.org';
const DRIVER = fileURLToPath(new URL('./helpers/deliver-loop.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/admin/cli/main.js', import.meta.url));

const children = new Set<ChildProcess>();
const dirs: string[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'portcullis-durability-'));
  dirs.push(d);
  return d;
}

interface Acked { seed: string; n: number; uid: number }

/** Runs the driver until at least `minAcks` deliveries are acknowledged, then kills it with SIGKILL. */
function runAndKill(dir: string, seed: string, minAcks: number): Promise<Acked[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER, dir, ADDRESS, seed, '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const acked: Acked[] = [];
    let buf = '';
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^ACK (\d+) (\d+)$/.exec(line);
        if (m) acked.push({ seed, n: Number(m[1]), uid: Number(m[2]) });
      }
      if (!killed && acked.length >= minAcks) {
        killed = true;
        child.kill('SIGKILL'); // mid-stream: the next delivery is somewhere between blob write and commit
      }
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`driver exited early (code ${code}): ${stderr}`));
    });
  });
}

async function verify(store: MailStore, acked: Acked[]): Promise<void> {
  assert.deepEqual(await store.checkIntegrity(), [], 'integrity check is clean');
  const account = (await store.getAccount(ADDRESS))!;
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  const byUid = new Map<number, string>();
  for await (const batch of store.fetchRecords(inbox.id, [{ from: 1, to: Infinity }], 200)) {
    for (const r of batch) byUid.set(r.uid, r.blobId);
  }
  for (const a of acked) {
    const blobId = byUid.get(a.uid);
    assert.ok(blobId, `acknowledged message ${a.seed}#${a.n} (uid ${a.uid}) is present`);
    assert.ok((await store.readBlob(blobId)).equals(durabilityMessage(a.seed, a.n)), `message ${a.seed}#${a.n} is intact`);
  }
}

async function prepare(dir: string): Promise<void> {
  const store = await openSqliteStore(dir);
  await store.createAccount(ADDRESS, null);
  await store.close();
}

test('kill -9 during a stream of deliveries loses no acknowledged message', async () => {
  const dir = newDir();
  await prepare(dir);
  const acked: Acked[] = [];
  for (let round = 0; round < 4; round++) {
    acked.push(...(await runAndKill(dir, `r${round}`, randomInt(3, 25))));
    const store = await openSqliteStore(dir);
    try {
      await verify(store, acked);
      const again = await createMailboxService(store).deliver(ADDRESS, durabilityMessage(`after${round}`, 1));
      acked.push({ seed: `after${round}`, n: 1, uid: again.uid });
    } finally {
      await store.close();
    }
  }
  assert.ok(acked.length >= 4 * 4);
});

test('two processes delivering into one store at once, both killed: distinct UIDs, nothing acknowledged lost', async () => {
  const dir = newDir();
  await prepare(dir);
  const [a, b] = await Promise.all([runAndKill(dir, 'pa', randomInt(5, 20)), runAndKill(dir, 'pb', randomInt(5, 20))]);
  const uids = [...a, ...b].map((x) => x.uid);
  assert.equal(new Set(uids).size, uids.length, 'no UID was given out twice');
  const store = await openSqliteStore(dir);
  try {
    await verify(store, [...a, ...b]);
  } finally {
    await store.close();
  }
});

/** Runs `portcullis deliver`; resolves with its exit code (null when killed) and its stderr. */
function cliDeliver(dir: string, message: Buffer, killAfterMs?: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--data-dir', dir, 'deliver', '--to', ADDRESS], { stdio: ['pipe', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => { children.delete(child); resolve({ code, stderr }); });
    child.stdin!.on('error', () => { /* killed before it read everything */ });
    child.stdin!.end(message);
    if (killAfterMs !== undefined) {
      // Kill at a varying moment after the hand-over: while it starts, reads, writes the blob or commits.
      child.on('spawn', () => setTimeout(() => child.kill('SIGKILL'), killAfterMs));
    }
  });
}

test('kill -9 of `portcullis deliver` loses no acknowledged message', { skip: !existsSync(CLI) && 'CLI not built' }, async () => {
  const dir = newDir();
  saveConfig(dir, defaultConfig('mail.example.org'));
  await prepare(dir);
  const acked: number[] = [];
  for (let n = 1; n <= 12; n++) {
    const kill = n % 3 === 0 ? randomInt(50, 400) : undefined;
    const r = await cliDeliver(dir, durabilityMessage('cli', n), kill);
    if (kill === undefined) assert.equal(r.code, 0, `deliver #${n} exits 0 (stderr: ${r.stderr})`);
    if (r.code === 0) acked.push(n);
  }
  const store = await openSqliteStore(dir);
  try {
    assert.deepEqual(await store.checkIntegrity(), []);
    const account = (await store.getAccount(ADDRESS))!;
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    const present = new Set<string>();
    for await (const batch of store.fetchRecords(inbox.id, [{ from: 1, to: Infinity }])) {
      for (const r of batch) present.add((await store.readBlob(r.blobId)).toString('latin1'));
    }
    for (const n of acked) assert.ok(present.has(durabilityMessage('cli', n).toString('latin1')), `acknowledged #${n} present`);
    const again = await cliDeliver(dir, durabilityMessage('cli', 99));
    assert.equal(again.code, 0, `delivery after the kills works (stderr: ${again.stderr})`);
  } finally {
    await store.close();
  }
});
