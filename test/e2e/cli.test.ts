// The operator CLI as an administrator uses it: init, services, settings, users, deliver, and
// the refusals of bad input (exit 2, one line naming the parameter, nothing changed on disk).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliOk, makeDataDir } from './harness.js';

const root = makeDataDir();
const dataDir = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));
const configText = () => readFileSync(join(dataDir, 'portcullis.json'), 'utf8');

test('init creates a data dir with every service disabled and says so', () => {
  const out = cliOk(dataDir, ['init', '--hostname', 'mail.example.test']);
  assert.match(out, /Every service is disabled/);
  assert.match(out, /self-signed/i);
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  const list = cliOk(dataDir, ['service', 'list']);
  for (const name of ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'submission', 'lmtp', 'admin']) {
    assert.match(list, new RegExp(`^${name}\\s+Disabled\\s+Stopped`, 'm'));
  }
});

test('init refuses an initialised dir and bad host names', () => {
  const r = cli(dataDir, ['init', '--hostname', 'mail.example.test']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already initialised/);
  const bad = cli(join(root, 'other'), ['init', '--hostname', 'bad host!']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--hostname: "bad host!" is not allowed/);
  assert.equal(existsSync(join(root, 'other')), false);
  const missing = cli(join(root, 'other'), ['init']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--hostname: missing/);
});

test('service enable and disable change the startup type; unknown names are refused', () => {
  cliOk(dataDir, ['service', 'enable', 'imap4']);
  assert.match(cliOk(dataDir, ['service', 'list']), /^imap4\s+Automatic/m);
  const json = JSON.parse(cliOk(dataDir, ['service', 'list', '--json'])) as Array<{ name: string; startupType: string }>;
  assert.equal(json.find((s) => s.name === 'imap4')?.startupType, 'Automatic');
  cliOk(dataDir, ['service', 'disable', 'imap4']);
  assert.match(cliOk(dataDir, ['service', 'list']), /^imap4\s+Disabled/m);
  const before = configText();
  const r = cli(dataDir, ['service', 'enable', 'imap5']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown service "imap5" \(allowed: imap4, imap4-backend/);
  assert.equal(configText(), before);
});

test('imap set validates every value before writing anything', () => {
  const saved = cliOk(dataDir, ['imap', 'set', '--login-type', 'PlainTextLogin', '--max-connections', '50']);
  assert.match(saved, /^login-type = PlainTextLogin \(saved; no server is running, applies when it starts\)$/m);
  const got = JSON.parse(cliOk(dataDir, ['imap', 'get', '--json'])) as Array<{ name: string; value: unknown; changed: boolean }>;
  assert.deepEqual(got.find((r) => r.name === 'login-type'), { ...got.find((r) => r.name === 'login-type'), value: 'PlainTextLogin', changed: true });
  assert.equal(got.find((r) => r.name === 'max-connections')?.value, 50);
  const before = configText();
  for (const [args, pattern] of [
    [['--login-type', 'Cleartext'], /login-type: "Cleartext" is not allowed \(allowed: SecureLogin, PlainTextAuthentication, PlainTextLogin\)/],
    [['--max-connections', '0'], /max-connections: "0" is not allowed \(allowed: a whole number from 1/],
    [['--ssl-bindings', '127.0.0.1'], /ssl-bindings: "127.0.0.1" is not an address:port binding/],
    [['--banner', 'x'.repeat(300)], /banner: .* is not allowed/],
    [['--no-such-setting', '1'], /Unknown option '--no-such-setting'/],
    [['--login-type', 'SecureLogin', '--max-command-size', 'huge'], /max-command-size: "huge" is not allowed/],
  ] as Array<[string[], RegExp]>) {
    const r = cli(dataDir, ['imap', 'set', ...args]);
    assert.equal(r.code, 2, `imap set ${args.join(' ')}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.equal(configText(), before, 'config unchanged');
  }
  cliOk(dataDir, ['imap', 'set', '--login-type', 'SecureLogin']);
  assert.match(cliOk(dataDir, ['imap', 'get']), /^login-type\s+SecureLogin$/m);
  assert.match(cliOk(dataDir, ['pop', 'get']), /^message-retrieval-sort-order\s+Ascending$/m);
});

test('users: add, list, passwd, remove, with refusals', () => {
  assert.match(cliOk(dataDir, ['user', 'add', 'Alice@Example.test', '--password-stdin'], 'correct horse battery\n'), /Added alice@example.test/);
  const users = JSON.parse(cliOk(dataDir, ['user', 'list', '--json'])) as Array<{ address: string }>;
  assert.deepEqual(users.map((u) => u.address), ['alice@example.test']);
  const dup = cli(dataDir, ['user', 'add', 'alice@example.test', '--password-stdin'], 'another password\n');
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /already exists/);
  const short = cli(dataDir, ['user', 'add', 'bob@example.test', '--password-stdin'], 'short\n');
  assert.equal(short.code, 2);
  assert.match(short.stderr, /--password-stdin: password not allowed/);
  const noStdin = cli(dataDir, ['user', 'add', 'bob@example.test']);
  assert.equal(noStdin.code, 2);
  assert.match(noStdin.stderr, /--password-stdin: missing/);
  const badAddr = cli(dataDir, ['user', 'add', 'not-an-address', '--password-stdin'], 'long enough pw\n');
  assert.equal(badAddr.code, 2);
  assert.match(badAddr.stderr, /ADDRESS: "not-an-address" is not allowed/);
  cliOk(dataDir, ['user', 'passwd', 'alice@example.test', '--password-stdin'], 'a new long password\n');
  assert.equal(cli(dataDir, ['user', 'passwd', 'nobody@example.test', '--password-stdin'], 'a new long password\n').code, 2);
  cliOk(dataDir, ['user', 'add', 'bob@example.test', '--password-stdin'], 'bobs password\n');
  cliOk(dataDir, ['user', 'remove', 'bob@example.test']);
  assert.doesNotMatch(cliOk(dataDir, ['user', 'list']), /bob@/);
  // The password never appears in the config or in any output.
  assert.doesNotMatch(configText(), /correct horse/);
});

test('users: a backend pin is set, shown, refused when malformed, and removed', () => {
  type Row = { address: string; backend: string | null };
  const pinOf = () => (JSON.parse(cliOk(dataDir, ['user', 'list', '--json'])) as Row[]).find((u) => u.address === 'alice@example.test')!.backend;
  assert.equal(pinOf(), null);
  assert.match(cliOk(dataDir, ['user', 'set', 'alice@example.test', '--backend', 'be2.example.test:1993']), /Pinned alice@example.test to backend be2.example.test:1993/);
  assert.equal(pinOf(), 'be2.example.test:1993');
  assert.match(cliOk(dataDir, ['user', 'list']), /alice@example.test .* backend=be2.example.test:1993/);
  cliOk(dataDir, ['user', 'set', 'alice@example.test', '--backend', '[2001:db8::5]']);
  assert.equal(pinOf(), '[2001:db8::5]');
  for (const bad of ['be2:99999', 'a:b:c', 'two words']) {
    const r = cli(dataDir, ['user', 'set', 'alice@example.test', '--backend', bad]);
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, /--backend: .* is not allowed \(allowed: HOST or HOST:PORT/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(pinOf(), '[2001:db8::5]', 'nothing changed');
  }
  assert.equal(cli(dataDir, ['user', 'set', 'alice@example.test']).code, 2);
  assert.equal(cli(dataDir, ['user', 'set', 'nobody@example.test', '--backend', 'be1']).code, 2);
  assert.match(cliOk(dataDir, ['user', 'set', 'alice@example.test', '--backend', '']), /Removed the backend pin/);
  assert.equal(pinOf(), null);
});

test('users: IMAP/POP3 access and quota are set together, shown, and a bad value changes nothing', () => {
  type Row = { address: string; imapEnabled: boolean; popEnabled: boolean; quotaBytes: number | null };
  const row = () => (JSON.parse(cliOk(dataDir, ['user', 'list', '--json'])) as Row[]).find((u) => u.address === 'alice@example.test')!;
  const out = cliOk(dataDir, ['user', 'set', 'alice@example.test', '--pop-enabled', 'false', '--quota', '1000000']);
  assert.match(out, /POP3 access for alice@example.test: disabled\.\nQuota of alice@example.test: 1000000 bytes\./);
  assert.deepEqual([row().imapEnabled, row().popEnabled, row().quotaBytes], [true, false, 1_000_000]);
  assert.match(cliOk(dataDir, ['user', 'list']), /alice@example.test {2}imap=on pop=off quota=1000000 /);
  for (const [flag, bad] of [['--imap-enabled', 'maybe'], ['--quota', '5MB'], ['--quota', '1.5'], ['--quota', String(2 ** 51)]]) {
    const r = cli(dataDir, ['user', 'set', 'alice@example.test', '--imap-enabled', 'false', flag, bad]);
    assert.equal(r.code, 2, `${flag} ${bad}`);
    assert.match(r.stderr, new RegExp(`${flag}: .* is not allowed \\(allowed: `));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  assert.deepEqual([row().imapEnabled, row().quotaBytes], [true, 1_000_000], 'nothing changed');
  cliOk(dataDir, ['user', 'set', 'alice@example.test', '--pop-enabled', 'true', '--quota', 'unlimited']);
  assert.deepEqual([row().popEnabled, row().quotaBytes], [true, null]);
});

test('deliver stores a message and reports bad recipients with sysexits codes', () => {
  const msg = 'From: a@b.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nhello\r\n';
  assert.match(cliOk(dataDir, ['deliver', '--to', 'alice@example.test'], msg), /delivered to alice@example.test uid 1/);
  assert.match(cliOk(dataDir, ['deliver', '--to', 'alice@example.test', '--mailbox', 'Archive'], msg), /uid 1/);
  assert.match(cliOk(dataDir, ['deliver', '--to', 'alice@example.test'], msg), /uid 2/);
  const used = JSON.parse(cliOk(dataDir, ['user', 'list', '--json'])) as Array<{ usedBytes: number }>;
  assert.equal(used[0].usedBytes, 3 * Buffer.byteLength(msg));
  const unknown = cli(dataDir, ['deliver', '--to', 'nobody@example.test'], msg);
  assert.equal(unknown.code, 67);
  const noBox = cli(dataDir, ['deliver', '--to', 'alice@example.test', '--mailbox', 'Nope'], msg);
  assert.equal(noBox.code, 67);
  const empty = cli(dataDir, ['deliver', '--to', 'alice@example.test'], '');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /empty standard input/);
});

test('unknown commands and flags are one-line errors with exit 2', () => {
  for (const args of [['frobnicate'], ['service', 'explode'], ['user', 'list', '--bogus'], ['--bogus', 'service', 'list']]) {
    const r = cli(dataDir, args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('a binding already used by another listener is refused', () => {
  const before = configText();
  const r = cli(dataDir, ['pop', 'set', '--ssl-bindings', '0.0.0.0:993']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /ssl-bindings: 0.0.0.0:993 is already used by imap ssl-bindings/);
  assert.equal(configText(), before);
});

test('admin and lmtp bindings may not take a protocol listener\'s address (CLI and API share the rule)', () => {
  const before = configText();
  for (const [args, pattern] of [
    [['admin', 'set', '--bindings', '0.0.0.0:993'], /^portcullis: bindings: 0\.0\.0\.0:993 is already used by imap ssl-bindings/],
    [['lmtp', 'set', '--bindings', 'unix:/run/portcullis-test/lmtp,0.0.0.0:587'], /^portcullis: bindings: 0\.0\.0\.0:587 is already used by smtp unencrypted-or-tls-bindings/],
    [['imap', 'set', '--ssl-bindings', '127.0.0.1:8443'], /^portcullis: ssl-bindings: 127\.0\.0\.1:8443 is already used by admin bindings/],
    [['pop', 'set', '--unencrypted-or-tls-bindings', '127.0.0.1:24'], /^portcullis: unencrypted-or-tls-bindings: 127\.0\.0\.1:24 is already used by lmtp bindings/],
  ] as Array<[string[], RegExp]>) {
    const r = cli(dataDir, args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(configText(), before, 'nothing written');
  }
  assert.match(cliOk(dataDir, ['lmtp', 'set', '--bindings', 'unix:/run/portcullis-test/lmtp,127.0.0.1:2424']), /^bindings = /m);
  cliOk(dataDir, ['lmtp', 'set', '--bindings', '127.0.0.1:24']);
});

test('config check prints every problem of a hand-edited file, one line each', () => {
  const good = configText();
  const raw = JSON.parse(good) as Record<string, Record<string, unknown>>;
  writeFileSync(join(dataDir, 'portcullis.json'), JSON.stringify({
    ...raw,
    imap: { ...raw.imap, 'max-connections': 0, 'login-type': 'Cleartext' },
    pop: { ...raw.pop, 'ssl-bindings': ['0.0.0.0:993'], 'no-such-setting': 1 },
    smtp: { ...raw.smtp, banner: 'x'.repeat(300) },
    admin: { ...raw.admin, bindings: ['0.0.0.0:143'] },
    extra: {},
  }, null, 2));
  try {
    const r = cli(dataDir, ['config', 'check']);
    assert.equal(r.code, 2);
    const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('problem: '));
    const expected = [
      /^problem: imap\.max-connections: "0" is not allowed/,
      /^problem: imap\.login-type: "Cleartext" is not allowed/,
      /^problem: pop\.no-such-setting: unknown setting$/,
      /^problem: smtp\.banner: "x+" is not allowed/,
      /^problem: ssl-bindings: 0\.0\.0\.0:993 is already used by imap ssl-bindings/,
      /^problem: bindings: 0\.0\.0\.0:143 is already used by imap unencrypted-or-tls-bindings/,
      /^problem: extra: unknown section/,
    ];
    assert.equal(lines.length, expected.length, r.stdout);
    for (const re of expected) assert.ok(lines.some((l) => re.test(l)), `${re} in:\n${r.stdout}`);
    const json = JSON.parse(cli(dataDir, ['config', 'check', '--json']).stdout) as { ok: boolean; problems: string[] };
    assert.equal(json.ok, false);
    assert.equal(json.problems.length, expected.length);
  } finally {
    writeFileSync(join(dataDir, 'portcullis.json'), good);
  }
  assert.equal(cli(dataDir, ['config', 'check']).code, 0);
});
