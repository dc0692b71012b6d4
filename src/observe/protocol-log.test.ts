import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createProtocolLog, maskParameters, csvField, protocolLogLimits } from './protocol-log.js';
import { sessionProtocolLog } from './session-log.js';
import { Clock, dataLines, files, row, tempDir } from './log-testkit.js';

test('writes the header block and one CSV row per write, credentials masked', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-03-04T10:15:00Z');
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, rollOver: 'hourly', maxAgeDays: 0, maxTotalBytes: 0, now: clock.now });
  log.write(row({ command: 'LOGIN', parameters: 'alice@example.org "s3cr,et pw"', context: 'OK' }));
  log.write(row({ seqNumber: 2, command: 'AUTHENTICATE', parameters: 'PLAIN AGFsaWNlAHNlY3JldA==' }));
  log.write(row({ seqNumber: 3, command: '*SASL*', parameters: 'AGFsaWNlAHNlY3JldA==' }));
  log.write(row({ seqNumber: 4, command: 'SELECT', parameters: '"Sent, old"', user: 'alice@example.org', secure: true, tls: 'starttls TLSv1.3' }));
  await log.close();
  assert.deepEqual(await files(dir), ['IMAP42024030410-1.LOG']);
  const text = await readFile(join(dir, 'IMAP42024030410-1.LOG'), 'utf8');
  assert.match(text, /^#Software: Portcullis\r\n#Version: .+\r\n#Log-type: IMAP4 Protocol Log\r\n#Date: 2024-03-04T10:15:00.000Z\r\n#Fields: dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context,tls,authMech,secure\r\n/);
  assert.doesNotMatch(text, /s3cr|AGFsaWNl/);
  const lines = dataLines(text);
  assert.equal(lines.length, 4);
  assert.equal(lines[0], '2024-03-04T10:00:00.000Z,s1,1,127.0.0.1:143,127.0.0.2:50000,,1,10,20,LOGIN,alice@example.org ***,OK,none,,false');
  assert.match(lines[1], /,AUTHENTICATE,PLAIN \*\*\*,/);
  assert.match(lines[2], /,\*SASL\*,\*\*\*,/);
  assert.match(lines[3], /,SELECT,"""Sent, old""",OK,starttls TLSv1.3,,true$/);
});

test('masking rules', () => {
  assert.equal(maskParameters('login', '"al ice" pw'), '"al ice" ***');
  assert.equal(maskParameters('PASS', 'hunter2'), '***');
  assert.equal(maskParameters('APOP', 'bob c4c9334bac560ecc979e58001b3e22fb'), 'bob ***');
  assert.equal(maskParameters('USER', 'bob'), 'bob');
  assert.equal(maskParameters('AUTH', 'PLAIN'), 'PLAIN');
  assert.equal(maskParameters('AUTH', 'LOGIN dXNlcg=='), 'LOGIN ***');
  assert.equal(maskParameters('AUTH', '=/weird==='), '***');
  assert.equal(maskParameters('*SASL*', 'cGFzcw=='), '***');
  assert.equal(csvField('a\r\nb'), 'a\\x0d\\x0ab');
  assert.equal(csvField(' lead'), '" lead"');
});

test('disabled: nothing is written', async (t) => {
  const dir = await tempDir(t);
  let on = false;
  const log = createProtocolLog({ dir, protocol: 'pop3', enabled: () => on, rollOver: 'daily', maxAgeDays: 0, maxTotalBytes: 0 });
  log.write(row());
  await log.flush();
  assert.deepEqual(await files(dir), []);
  on = true;
  log.write(row());
  await log.close();
  log.write(row()); // after close: dropped, no throw
  const names = await files(dir);
  assert.equal(names.length, 1);
  assert.match(names[0], /^POP3\d{10}-1\.LOG$/);
});

test('rolls over by time (hourly and daily) with the period start in the name', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-03-04T10:59:00Z');
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, rollOver: 'hourly', maxAgeDays: 0, maxTotalBytes: 0, now: clock.now });
  log.write(row({ seqNumber: 1 }));
  await log.flush();
  clock.set('2024-03-04T11:00:01Z');
  log.write(row({ seqNumber: 2 }));
  log.write(row({ seqNumber: 3 }));
  await log.close();
  assert.deepEqual(await files(dir), ['IMAP42024030410-1.LOG', 'IMAP42024030411-1.LOG']);
  assert.equal(dataLines(await readFile(join(dir, 'IMAP42024030411-1.LOG'), 'utf8')).length, 2);

  const ddir = join(dir, 'daily');
  const daily = createProtocolLog({ dir: ddir, protocol: 'pop3', enabled: () => true, rollOver: 'daily', maxAgeDays: 0, maxTotalBytes: 0, now: clock.now });
  daily.write(row());
  await daily.flush();
  clock.set('2024-03-04T23:59:00Z');
  daily.write(row());
  await daily.flush();
  clock.set('2024-03-05T00:00:00Z');
  daily.write(row());
  await daily.close();
  assert.deepEqual(await files(ddir), ['POP32024030400-1.LOG', 'POP32024030500-1.LOG']);
});

test('rolls over by size and never appends to a file of an earlier run', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-03-04T10:00:00Z');
  const opts = { dir, protocol: 'imap4', enabled: () => true, rollOver: { sizeBytes: 700 }, maxAgeDays: 0, maxTotalBytes: 0, now: clock.now };
  const log = createProtocolLog(opts);
  for (let i = 0; i < 6; i++) log.write(row({ seqNumber: i }));
  await log.close();
  const names = await files(dir);
  assert.ok(names.length >= 2, `expected several files, got ${names.join(' ')}`);
  let rows = 0;
  for (const n of names) {
    const text = await readFile(join(dir, n), 'utf8');
    rows += dataLines(text).length;
    assert.ok(text.startsWith('#Software'), n);
    assert.ok(Buffer.byteLength(text) <= 700 || dataLines(text).length === 1, `${n} too big`);
  }
  assert.equal(rows, 6);
  const again = createProtocolLog(opts);
  again.write(row());
  await again.close();
  assert.equal((await files(dir)).length, names.length + 1);
});

test('retention by age deletes the oldest files and keeps the newest', async (t) => {
  const dir = await tempDir(t);
  for (const d of ['01', '02', '03', '04']) await writeFile(join(dir, `IMAP4202403${d}00-1.LOG`), 'old\n');
  await writeFile(join(dir, 'POP32024030100-1.LOG'), 'other protocol\n');
  await writeFile(join(dir, 'notes.txt'), 'unrelated\n');
  const clock = new Clock('2024-03-06T12:00:00Z');
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, rollOver: 'daily', maxAgeDays: 2, maxTotalBytes: 0, now: clock.now });
  log.write(row());
  await log.close();
  // The 03-03 file's newest row is before 03-04 00:00, older than 2 days; the 03-04 file may hold rows up to 03-06.
  assert.deepEqual(await files(dir), ['IMAP42024030400-1.LOG', 'IMAP42024030600-1.LOG', 'POP32024030100-1.LOG', 'notes.txt']);
});

test('retention by total size deletes the oldest first and never the current file', async (t) => {
  const dir = await tempDir(t);
  for (const h of ['01', '02', '03']) await writeFile(join(dir, `IMAP420240304${h}-1.LOG`), 'x'.repeat(400));
  const clock = new Clock('2024-03-04T05:00:00Z');
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, rollOver: 'hourly', maxAgeDays: 0, maxTotalBytes: 1000, now: clock.now });
  log.write(row());
  await log.flush();
  assert.deepEqual(await files(dir), ['IMAP42024030403-1.LOG', 'IMAP42024030405-1.LOG']);
  // A limit smaller than the current file alone: everything else goes, the current file stays.
  const tiny = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, rollOver: 'hourly', maxAgeDays: 0, maxTotalBytes: 10, now: () => new Date('2024-03-04T06:00:00Z') });
  tiny.write(row());
  await tiny.close();
  await log.close();
  assert.deepEqual(await files(dir), ['IMAP42024030406-1.LOG']);
});

test('time roll-over with a per-file size quota starts a new file within the same period', async (t) => {
  const dir = await tempDir(t);
  const clock = new Clock('2024-03-04T10:00:00Z');
  const log = createProtocolLog({ dir, protocol: 'imap4', enabled: () => true, ...protocolLogLimits({ logFileRollOverSettings: 'Daily', logPerFileSizeQuota: 700, protocolLogMaxAge: 0, protocolLogMaxDirectorySize: 0 }), now: clock.now });
  for (let i = 0; i < 6; i++) log.write(row({ seqNumber: i }));
  await log.flush();
  clock.set('2024-03-05T00:00:00Z');
  log.write(row());
  await log.close();
  const names = await files(dir);
  assert.deepEqual(names.filter((n) => n.startsWith('IMAP42024030400-')), ['IMAP42024030400-1.LOG', 'IMAP42024030400-2.LOG']);
  assert.deepEqual(names.filter((n) => !n.startsWith('IMAP42024030400-')), ['IMAP42024030500-1.LOG']);
});

test('session log numbers rows and reflects STARTTLS and login in later rows; PASS stays masked', async (t) => {
  const dir = await tempDir(t);
  const log = createProtocolLog({ dir, protocol: 'pop3', enabled: () => true, rollOver: 'daily', maxAgeDays: 0, maxTotalBytes: 0 });
  const conn: { sessionId: string; remoteAddress: string; remotePort: number; localAddress: string; localPort: number; tls: { version: string; cipher: string; servername: string | null } | null; tlsMode: 'none' | 'starttls' | 'implicit' } = {
    sessionId: 'abc', remoteAddress: '::ffff:127.0.0.3', remotePort: 40000, localAddress: '127.0.0.1', localPort: 110, tls: null, tlsMode: 'none',
  };
  const s = sessionProtocolLog(log, conn, () => new Date('2024-03-04T10:00:00Z'));
  s.event('Connected');
  s.command({ command: 'STLS', parameters: '', rqsize: 6, rpsize: 20, duration: 3, context: '+OK' });
  conn.tls = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', servername: null };
  conn.tlsMode = 'starttls';
  s.command({ command: 'USER', parameters: 'bob', rqsize: 10, rpsize: 5, duration: 0, context: '+OK' });
  s.setAuthMech('USER');
  s.setUser('bob');
  s.command({ command: 'PASS', parameters: 'secret words', rqsize: 18, rpsize: 5, duration: 40, context: '+OK' });
  await log.close();
  const [name] = await files(dir);
  const lines = dataLines(await readFile(join(dir, name), 'utf8'));
  assert.deepEqual(lines.map((l) => l.split(',').slice(1, 6).join(',')), [
    'abc,0,127.0.0.1:110,[::ffff:127.0.0.3]:40000,', 'abc,1,127.0.0.1:110,[::ffff:127.0.0.3]:40000,',
    'abc,2,127.0.0.1:110,[::ffff:127.0.0.3]:40000,', 'abc,3,127.0.0.1:110,[::ffff:127.0.0.3]:40000,bob',
  ]);
  assert.match(lines[1], /,STLS,,\+OK,none,,false$/);
  assert.match(lines[2], /,USER,bob,\+OK,starttls TLSv1\.3,,true$/);
  assert.match(lines[3], /,PASS,\*\*\*,\+OK,starttls TLSv1\.3,USER,true$/);
  assert.doesNotMatch(lines.join('\n'), /secret/);
});
