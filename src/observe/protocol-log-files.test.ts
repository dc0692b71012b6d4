/**
 * Protocol-log files over time: several writers on one directory (serve --workers N), the
 * directory limit between roll-overs, the retention timer of a quiet server, weekly and monthly
 * roll-over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createProtocolLog } from './protocol-log.js';
import { Clock, dataLines, files, row, tempDir } from './log-testkit.js';

const HEADER = /^#Software: Portcullis\r\n#Version: .+\r\n#Log-type: IMAP4 Protocol Log\r\n#Date: .+\r\n#Fields: dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context,tls,authMech,secure\r\n/;

async function assertOneHeaderAtTop(dir: string, name: string): Promise<string> {
  const text = await readFile(join(dir, name), 'utf8');
  assert.match(text, HEADER, `${name} begins with the header`);
  assert.equal(text.match(/#Fields:/g)?.length, 1, `${name} has one #Fields line`);
  for (const line of dataLines(text)) assert.equal(line.split(',').length, 15, `${name}: ${line}`);
  return text;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const n of await files(dir)) total += (await stat(join(dir, n))).size;
  return total;
}

/** Polls (no fixed sleep) until cond() holds. */
async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('two writers on one directory: each its own files, each file with one header at the top', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-03-04T10:00:00Z');
  const opts = { dir, protocol: 'imap4', enabled: () => true, rollOver: 'daily' as const, maxFileBytes: 700, maxAgeDays: 0, maxTotalBytes: 0, now: clock.now };
  const w0 = createProtocolLog({ ...opts, writer: 0 });
  const w1 = createProtocolLog({ ...opts, writer: 1 });
  for (let i = 0; i < 6; i++) {
    w0.write(row({ sessionId: 'w0', seqNumber: i }));
    w1.write(row({ sessionId: 'w1', seqNumber: i }));
    await Promise.all([w0.flush(), w1.flush()]);
  }
  await Promise.all([w0.close(), w1.close()]);
  const names = await files(dir);
  assert.ok(names.every((n) => /^IMAP42024030400-w[01]-\d+\.LOG$/.test(n)), names.join(' '));
  for (const w of ['w0', 'w1']) {
    const own = names.filter((n) => n.includes(`-${w}-`));
    assert.ok(own.length >= 2, `${w} rolled over by size: ${own.join(' ')}`);
    const rows: string[] = [];
    for (const n of own) {
      const text = await assertOneHeaderAtTop(dir, n);
      assert.ok(Buffer.byteLength(text) <= 700, `${n} is within the quota`);
      rows.push(...dataLines(text));
    }
    assert.deepEqual(rows.map((l) => l.split(',').slice(1, 3).join(',')), [0, 1, 2, 3, 4, 5].map((i) => `${w},${i}`));
  }
});

test('retention in one writer never deletes another writer\'s current file', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-03-04T10:00:00Z');
  const opts = { dir, protocol: 'imap4', enabled: () => true, rollOver: 'hourly' as const, maxAgeDays: 0, maxTotalBytes: 4000, now: clock.now };
  const quiet = createProtocolLog({ ...opts, writer: 1 });
  quiet.write(row({ sessionId: 'quiet', seqNumber: 1 }));
  await quiet.flush();
  const [quietFile] = await files(dir);
  assert.equal(quietFile, 'IMAP42024030410-w1-1.LOG');
  const busy = createProtocolLog({ ...opts, writer: 0 });
  for (let i = 0; i < 30; i++) {
    busy.write(row({ sessionId: 'busy', seqNumber: i }));
    await busy.flush();
  }
  const after = await files(dir);
  assert.ok(after.filter((n) => n.includes('-w0-')).length < 30, 'the busy writer\'s retention deleted files');
  assert.ok(after.includes(quietFile), 'the quiet writer\'s file is still there');
  quiet.write(row({ sessionId: 'quiet', seqNumber: 2 }));
  await Promise.all([quiet.close(), busy.close()]);
  const text = await assertOneHeaderAtTop(dir, quietFile);
  assert.deepEqual(dataLines(text).map((l) => l.split(',')[2]), ['1', '2']);
});

test('with a directory limit and no per-file quota the directory stays within the limit in one period', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-03-04T10:00:00Z');
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, rollOver: 'daily', maxAgeDays: 0, maxTotalBytes: 4000, now: clock.now });
  for (let i = 0; i < 100; i++) {
    log.write(row({ seqNumber: i }));
    if (i % 5 === 4) {
      await log.flush();
      assert.ok(await dirBytes(dir) <= 4000, `after row ${i}: ${await dirBytes(dir)} bytes`);
    }
  }
  await log.close();
  const names = await files(dir);
  assert.ok(names.length > 1, 'the day\'s log rolled over by size');
  assert.ok(names.every((n) => /^IMAP42024030400-\d+\.LOG$/.test(n)), names.join(' '));
  const newest = dataLines(await assertOneHeaderAtTop(dir, names.sort((a, b) => parseInt(a.slice(16)) - parseInt(b.slice(16))).at(-1)!));
  assert.equal(newest.at(-1)!.split(',')[2], '99', 'the newest row is kept');
});

test('a quiet server applies the age and size limits on a timer', async (t) => {
  const dir = await tempDir(t);
  for (const d of ['01', '02', '03']) await writeFile(join(dir, `IMAP4202403${d}00-1.LOG`), 'x'.repeat(300));
  await writeFile(join(dir, 'IMAP42024030900-1.LOG'), 'x'.repeat(300));
  await writeFile(join(dir, 'IMAP42024031000-1.LOG'), 'x'.repeat(300));
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => false, rollOver: 'daily', maxAgeDays: 3, maxTotalBytes: 0, sweepIntervalMs: 20, now: () => new Date('2024-03-10T12:00:00Z') });
  t.after(() => log.close());
  await until(async () => (await files(dir)).length === 2, 'the files older than 3 days to go');
  assert.deepEqual(await files(dir), ['IMAP42024030900-1.LOG', 'IMAP42024031000-1.LOG']);
  await log.close();

  const sized = createProtocolLog({ dir, protocol: 'imap4', enabled: () => false, rollOver: 'daily', maxAgeDays: 0, maxTotalBytes: 400, sweepIntervalMs: 20, now: () => new Date('2024-03-10T12:00:00Z') });
  t.after(() => sized.close());
  await until(async () => (await files(dir)).length === 1, 'the directory to shrink to its limit');
  assert.deepEqual(await files(dir), ['IMAP42024031000-1.LOG']);
});

test('weekly roll-over starts on Monday, across a month and a year boundary', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-12-29T23:59:00Z'); // a Sunday: the week of Monday 23 December
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, rollOver: 'weekly', maxAgeDays: 0, maxTotalBytes: 0, now: clock.now });
  const at = async (iso: string, seq: number): Promise<void> => {
    clock.set(iso);
    log.write(row({ seqNumber: seq }));
    await log.flush();
  };
  await at('2024-12-23T00:00:00Z', 1);
  await at('2024-12-29T23:59:59Z', 2);
  await at('2024-12-30T00:00:00Z', 3); // Monday
  await at('2025-01-01T12:00:00Z', 4);
  await at('2025-01-05T23:59:59Z', 5);
  await at('2025-01-06T00:00:00Z', 6);
  await log.close();
  assert.deepEqual(await files(dir), ['IMAP42024122300-1.LOG', 'IMAP42024123000-1.LOG', 'IMAP42025010600-1.LOG']);
  const seqs = async (n: string): Promise<string[]> => dataLines(await assertOneHeaderAtTop(dir, n)).map((l) => l.split(',')[2]);
  assert.deepEqual(await seqs('IMAP42024122300-1.LOG'), ['1', '2']);
  assert.deepEqual(await seqs('IMAP42024123000-1.LOG'), ['3', '4', '5']);
  assert.deepEqual(await seqs('IMAP42025010600-1.LOG'), ['6']);
});

test('monthly roll-over starts on the first, across a year boundary and February', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-12-01T00:00:00Z');
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, rollOver: 'monthly', maxAgeDays: 0, maxTotalBytes: 0, now: clock.now });
  const at = async (iso: string, seq: number): Promise<void> => {
    clock.set(iso);
    log.write(row({ seqNumber: seq }));
    await log.flush();
  };
  await at('2024-12-01T00:00:00Z', 1);
  await at('2024-12-31T23:59:59Z', 2);
  await at('2025-01-01T00:00:00Z', 3);
  await at('2025-01-31T23:59:59Z', 4);
  await at('2025-02-28T23:59:59Z', 5);
  await at('2025-03-01T00:00:00Z', 6);
  await log.close();
  assert.deepEqual(await files(dir), ['IMAP42024120100-1.LOG', 'IMAP42025010100-1.LOG', 'IMAP42025020100-1.LOG', 'IMAP42025030100-1.LOG']);
  const seqs = async (n: string): Promise<string[]> => dataLines(await assertOneHeaderAtTop(dir, n)).map((l) => l.split(',')[2]);
  assert.deepEqual(await seqs('IMAP42024120100-1.LOG'), ['1', '2']);
  assert.deepEqual(await seqs('IMAP42025010100-1.LOG'), ['3', '4']);
  assert.deepEqual(await seqs('IMAP42025020100-1.LOG'), ['5']);
});
