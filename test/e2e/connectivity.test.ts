// Administration end to end: `portcullis test imap|pop` against a real server (Ssl and Tls
// succeed, full and light; Plaintext is refused under SecureLogin and works under
// PlainTextLogin; bad flags exit 2), a v1 config migrated by `serve`, log-file-location
// honoured (and refused at start when it cannot be created), and connection settings checked
// against the bindings.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliOk, makeDataDir, serve, startServer, type Server } from './harness.js';

interface Report { result: string; accountCreated: boolean; steps: Array<{ step: string; result: string; latencyMs: number; detail: string; reply?: string }> }

const runTest = (dataDir: string, args: string[]) => {
  const r = cli(dataDir, ['test', ...args, '--json']);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
};
const stepNames = (r: Report) => r.steps.map((s) => `${s.step}:${s.result}`);

/** A data dir set up like the harness does, then rewritten as a version 1 file (bindings as strings). */
function v1DataDir(dataDir: string, logDir: string): string {
  cliOk(dataDir, ['init', '--hostname', 'localhost']);
  for (const s of ['imap4', 'imap4-backend', 'pop3', 'pop3-backend']) cliOk(dataDir, ['service', 'enable', s]);
  for (const section of ['imap', 'pop', 'smtp']) cliOk(dataDir, [section, 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0']);
  cliOk(dataDir, ['admin', 'set', '--bindings', '127.0.0.1:0']);
  cliOk(dataDir, ['lmtp', 'set', '--bindings', '127.0.0.1:0']);
  cliOk(dataDir, ['imap', 'set', '--log-file-location', logDir, '--protocol-log-enabled', 'true']);
  const path = join(dataDir, 'portcullis.json');
  const cfg = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  cfg.version = 1;
  for (const section of ['imap', 'pop', 'smtp', 'admin']) {
    const s = cfg[section] as Record<string, unknown>;
    for (const [k, v] of Object.entries(s)) if (/bindings$/.test(k) && Array.isArray(v)) s[k] = v.join(',');
  }
  writeFileSync(path, JSON.stringify(cfg, null, 2) + '\n', { mode: 0o600 });
  return dataDir;
}

let secure: Server;
let logDir: string;
before(async () => {
  const dataDir = join(makeDataDir(), 'data');
  // Outside the data dir, inside the temp dir that stop() removes.
  logDir = join(dataDir, '..', 'imap-logs', 'here');
  v1DataDir(dataDir, logDir);
  const check = cliOk(dataDir, ['config', 'check']);
  assert.match(check, /pending migration from version 1 to 2/);
  secure = await serve(dataDir);
});
after(async () => {
  await secure?.stop();
});

test('serve migrates a v1 config: one line per step, the file is now v2, the old one kept as .bak', () => {
  assert.match(secure.output(), /^config migrated from version 1 to 2: address:port lists/m);
  const path = join(secure.dataDir, 'portcullis.json');
  const saved = JSON.parse(readFileSync(path, 'utf8')) as { version: number; imap: Record<string, unknown> };
  assert.equal(saved.version, 2);
  assert.deepEqual(saved.imap['ssl-bindings'], ['127.0.0.1:0']);
  assert.equal((JSON.parse(readFileSync(`${path}.v1.bak`, 'utf8')) as { version: number }).version, 1);
  assert.match(cliOk(secure.dataDir, ['config', 'check']), /OK$/m);
  assert.doesNotMatch(cliOk(secure.dataDir, ['config', 'check']), /pending/);
});

test('imap over Ssl and Tls: full (deliver, fetch, delete) and light mode succeed', { timeout: 60_000 }, () => {
  const full = runTest(secure.dataDir, ['imap', '--connection-type', 'Ssl']);
  assert.equal(full.code, 0, JSON.stringify(full.report));
  assert.equal(full.report.accountCreated, true);
  assert.deepEqual(stepNames(full.report), ['Connect:Success', 'Certificate:Success', 'Login:Success', 'Deliver:Success', 'Select:Success', 'Fetch:Success', 'Delete:Success', 'Logout:Success']);
  assert.ok(full.report.steps.every((s) => Number.isInteger(s.latencyMs) && s.latencyMs >= 0));
  const light = runTest(secure.dataDir, ['imap', '--connection-type', 'tls', '--light-mode']);
  assert.equal(light.code, 0, JSON.stringify(light.report));
  assert.equal(light.report.accountCreated, false);
  assert.deepEqual(stepNames(light.report), ['Connect:Success', 'StartTls:Success', 'Certificate:Success', 'Login:Success', 'Logout:Success']);
  const tlsFull = cli(secure.dataDir, ['test', 'imap', '--connection-type', 'Tls']);
  assert.equal(tlsFull.code, 0, tlsFull.stdout + tlsFull.stderr);
  assert.match(tlsFull.stdout, /^Fetch\s+Success\s+\d+ ms/m);
  assert.match(tlsFull.stdout, /^Result: Success$/m);
  const secret = (JSON.parse(readFileSync(join(secure.dataDir, 'connectivity-test-account.json'), 'utf8')) as { password: string }).password;
  assert.equal(statSync(join(secure.dataDir, 'connectivity-test-account.json')).mode & 0o777, 0o600);
  assert.ok(!tlsFull.stdout.includes(secret) && !secure.output().includes(secret), 'the password is never shown');
});

test('pop over Ssl and Tls: full (deliver, retrieve, delete) and light mode succeed', { timeout: 60_000 }, () => {
  const full = runTest(secure.dataDir, ['pop', '--connection-type', 'Tls']);
  assert.equal(full.code, 0, JSON.stringify(full.report));
  assert.deepEqual(stepNames(full.report), ['Connect:Success', 'StartTls:Success', 'Certificate:Success', 'Deliver:Success', 'Login:Success', 'Stat:Success', 'Retrieve:Success', 'Delete:Success', 'Quit:Success']);
  const light = runTest(secure.dataDir, ['pop', '--light-mode']);
  assert.equal(light.code, 0, JSON.stringify(light.report));
  assert.deepEqual(stepNames(light.report), ['Connect:Success', 'Certificate:Success', 'Login:Success', 'Quit:Success']);
  // Deleted for real: the next full run finds only its own message.
  const again = runTest(secure.dataDir, ['pop', '--connection-type', 'Ssl']);
  assert.equal(again.code, 0, JSON.stringify(again.report));
  assert.match(again.report.steps.find((s) => s.step === 'Stat')!.detail, /^1 /);
});

test('Plaintext under SecureLogin fails at login, saying the login policy refused it', { timeout: 60_000 }, () => {
  for (const protocol of ['imap', 'pop']) {
    const r = runTest(secure.dataDir, [protocol, '--connection-type', 'Plaintext', '--light-mode']);
    assert.equal(r.code, 1);
    const login = r.report.steps.find((s) => s.step === 'Login')!;
    assert.equal(login.result, 'Failure');
    assert.match(login.detail, /refused by the server's login policy.*SecureLogin/);
    assert.match(login.reply ?? '', protocol === 'imap' ? /LOGINDISABLED/ : /^-ERR \[AUTH\]/);
  }
});

test('the protocol log goes to log-file-location, created 0700', { timeout: 30_000 }, async () => {
  assert.equal(statSync(logDir).mode & 0o777, 0o700);
  const deadline = Date.now() + 20_000;
  while (!readdirSync(logDir).some((f) => /^IMAP4\d{10}-\d+\.LOG$/.test(f))) {
    assert.ok(Date.now() < deadline, 'no IMAP4 protocol log file in log-file-location');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(!existsSync(join(secure.dataDir, 'logs', 'imap4')) || readdirSync(join(secure.dataDir, 'logs', 'imap4')).length === 0);
});

test('Plaintext under PlainTextLogin succeeds (imap and pop, full)', { timeout: 60_000 }, async () => {
  const legacy = await startServer({ imap: { 'login-type': 'PlainTextLogin' }, pop: { 'login-type': 'PlainTextLogin' } });
  try {
    for (const protocol of ['imap', 'pop']) {
      const r = runTest(legacy.dataDir, [protocol, '--connection-type', 'Plaintext']);
      assert.equal(r.code, 0, JSON.stringify(r.report));
      assert.match(r.report.steps.find((s) => s.step === 'Login')!.detail, /without TLS/);
    }
  } finally {
    await legacy.stop();
  }
});

test('bad flags exit 2 with one line naming the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [['imap', '--connection-type', 'Carrier-Pigeon'], /--connection-type: "Carrier-Pigeon" is not allowed \(allowed: Plaintext, Tls, Ssl\)/],
    [['pop', '--server', 'no-port'], /--server: "no-port" is not allowed/],
    [['imap', '--bogus'], /bogus/],
    [['smtp'], /test: unknown subcommand "smtp" \(allowed: imap, pop\)/],
  ];
  for (const [args, message] of cases) {
    const r = cli(secure.dataDir, ['test', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('connection settings must name a port of the matching bindings: exit 2, file unchanged', (t) => {
  const dataDir = join(makeDataDir(), 'data');
  t.after(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));
  cliOk(dataDir, ['init', '--hostname', 'mail.example.test']);
  cliOk(dataDir, ['imap', 'set', '--ssl-bindings', '127.0.0.1:10993', '--unencrypted-or-tls-bindings', '127.0.0.1:10143']);
  const path = join(dataDir, 'portcullis.json');
  const before = readFileSync(path, 'utf8');
  const wrong = cli(dataDir, ['imap', 'set', '--internal-connection-settings', 'mail.example.test:10143:SSL']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /^portcullis: internal-connection-settings: "mail\.example\.test:10143:SSL" names port 10143, which is not a port of imap ssl-bindings \(allowed for SSL entries: 10993\)$/m);
  assert.equal(readFileSync(path, 'utf8'), before);
  cliOk(dataDir, ['imap', 'set', '--internal-connection-settings', 'mail.example.test:10993:SSL,mail.example.test:10143:TLS', '--external-connection-settings', 'mail.example.test:10143:']);
  assert.match(cliOk(dataDir, ['imap', 'get', 'internal-connection-settings']), /mail\.example\.test:10993:SSL,mail\.example\.test:10143:TLS/);
  // Moving a binding away from a port the settings name is refused too.
  const moved = cli(dataDir, ['imap', 'set', '--ssl-bindings', '127.0.0.1:11993']);
  assert.equal(moved.code, 2);
  assert.match(moved.stderr, /internal-connection-settings: .* not a port of imap ssl-bindings/);
  // The analyzer flags the cleartext entry.
  const analyzed = cli(dataDir, ['analyze']);
  assert.equal(analyzed.code, 1, 'a warning or worse');
  assert.match(analyzed.stdout, /\[WARN\] imap4: connection settings tell clients to connect without encryption/);
});

test('a log-file-location that cannot be created stops serve at start with a clear error', { timeout: 30_000 }, async (t) => {
  const dataDir = join(makeDataDir(), 'data');
  t.after(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));
  cliOk(dataDir, ['init', '--hostname', 'localhost']);
  const blocker = join(dataDir, '..', 'a-file');
  writeFileSync(blocker, 'not a directory');
  cliOk(dataDir, ['pop', 'set', '--log-file-location', join(blocker, 'logs')]);
  await assert.rejects(serve(dataDir), /log-file-location: cannot create or write .*a-file\/logs for the pop3 protocol log \(ENOTDIR\)/);
});
