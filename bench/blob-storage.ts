/**
 * Blobs as files vs blobs in SQLite, both durable per message (WAL, synchronous=FULL).
 *   node dist/bench/blob-storage.js [COUNT] [SIZE_BYTES]
 * (a) content-addressed files: write tmp, fsync, rename, fsync dir, then commit the row;
 * (b) the bytes in a BLOB column of the same transaction. Reports appends/s and full reads/s,
 * and the whole MailStore append path (which adds counters and the FTS5 trigram index).
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { BlobFiles, hashBlob } from '../src/store/sqlite/blobs.js';
import { parseForStore } from '../src/mailbox/service.js';

const count = Number(process.argv[2] ?? 300);
const size = Number(process.argv[3] ?? 20_000);

function message(i: number): Buffer {
  return Buffer.concat([Buffer.from(`Subject: bench ${i}\r\n\r\n`), Buffer.from(randomBytes(size / 2).toString('hex'))]);
}

async function files(dir: string): Promise<[number, number]> {
  const blobs = new BlobFiles(dir);
  const db = new Database(join(dir, 'files.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, parsed TEXT, hash TEXT)');
  const ins = db.prepare('INSERT INTO m (parsed, hash) VALUES (?, ?)');
  const msgs = Array.from({ length: count }, (_, i) => message(i));
  let t = performance.now();
  const hashes: string[] = [];
  for (const raw of msgs) {
    const hash = hashBlob(raw);
    await blobs.write(hash, raw);
    db.transaction(() => ins.run(JSON.stringify(parseForStore(raw)), hash)).immediate();
    hashes.push(hash);
  }
  const write = count / ((performance.now() - t) / 1000);
  t = performance.now();
  for (const h of hashes) await blobs.read(h);
  const read = count / ((performance.now() - t) / 1000);
  db.close();
  return [write, read];
}

async function store(dir: string): Promise<number> {
  const st = await openSqliteStore(dir);
  const a = await st.createAccount('bench@example.org', null);
  const inbox = (await st.getMailbox(a.id, 'INBOX'))!;
  const msgs = Array.from({ length: count }, (_, i) => message(i));
  const t = performance.now();
  for (const raw of msgs) await st.append(inbox.id, { raw, parsed: parseForStore(raw) });
  await st.close();
  return count / ((performance.now() - t) / 1000);
}

function inline(dir: string): [number, number] {
  const db = new Database(join(dir, 'inline.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, parsed TEXT, raw BLOB)');
  const ins = db.prepare('INSERT INTO m (parsed, raw) VALUES (?, ?)');
  const msgs = Array.from({ length: count }, (_, i) => message(i));
  let t = performance.now();
  for (const raw of msgs) db.transaction(() => ins.run(JSON.stringify(parseForStore(raw)), raw)).immediate();
  const write = count / ((performance.now() - t) / 1000);
  const get = db.prepare('SELECT raw FROM m WHERE id = ?').pluck();
  t = performance.now();
  for (let i = 1; i <= count; i++) get.get(i);
  const read = count / ((performance.now() - t) / 1000);
  db.close();
  return [write, read];
}

const d1 = mkdtempSync(join(tmpdir(), 'bench-files-'));
const d2 = mkdtempSync(join(tmpdir(), 'bench-inline-'));
const d3 = mkdtempSync(join(tmpdir(), 'bench-store-'));
try {
  const [fw, fr] = await files(d1);
  const [iw, ir] = inline(d2);
  const sw = await store(d3);
  console.log(`count=${count} size=${size}`);
  console.log(`files : ${fw.toFixed(0)} appends/s, ${fr.toFixed(0)} reads/s`);
  console.log(`inline: ${iw.toFixed(0)} appends/s, ${ir.toFixed(0)} reads/s`);
  console.log(`store : ${sw.toFixed(0)} appends/s (whole append path: counters, search index, hybrid blobs)`);
} finally {
  rmSync(d3, { recursive: true, force: true });
  rmSync(d1, { recursive: true, force: true });
  rmSync(d2, { recursive: true, force: true });
}
