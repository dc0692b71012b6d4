// `server set --cluster-secret-file` checks the file before writing the config, and
// `config check` reports the same problems for a config whose secret file went bad later:
// missing, not a file, readable by group or others, or too short — exit 2, one line, config
// unchanged. The secret itself never appears in any output.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cli, cliOk, makeDataDir } from './harness.js';

const root = makeDataDir();
const dataDir = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));
const configText = () => readFileSync(join(dataDir, 'portcullis.json'), 'utf8');
const secret = randomBytes(48).toString('base64');

function refused(path: string, why: RegExp): void {
  const before = configText();
  const r = cli(dataDir, ['server', 'set', '--cluster-secret-file', path]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stderr, /^portcullis: cluster-secret-file: /);
  assert.match(r.stderr, why);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.equal(configText(), before, 'nothing written');
}

test('server set refuses a missing, non-file, exposed or short secret file and accepts a good one', () => {
  cliOk(dataDir, ['init', '--hostname', 'localhost']);
  const good = join(root, 'cluster.secret');
  refused(good, /ENOENT/);
  mkdirSync(join(root, 'dir'));
  refused(join(root, 'dir'), /not a regular file/);
  writeFileSync(good, secret + '\n', { mode: 0o600 });
  chmodSync(good, 0o644);
  refused(good, /mode 0644, readable by others or writable by group or others .*chmod 600/);
  chmodSync(good, 0o620);
  refused(good, /mode 0620/);
  const short = join(root, 'short.secret');
  writeFileSync(short, 'too short\n', { mode: 0o600 });
  chmodSync(short, 0o600);
  refused(short, /fewer than 32 bytes/);
  chmodSync(good, 0o640); // group-readable (root-owned, the service's group) is the usual hand-over
  assert.match(cliOk(dataDir, ['server', 'set', '--cluster-secret-file', good]), /cluster-secret-file = /);
  assert.match(configText(), /cluster\.secret/);
  assert.match(cliOk(dataDir, ['config', 'check']), /: OK$/m);
  for (const out of [configText(), cliOk(dataDir, ['server', 'get'])]) assert.ok(!out.includes(secret));
});

test('config check reports a secret file that went bad after it was set', () => {
  const good = join(root, 'cluster.secret');
  chmodSync(good, 0o604);
  let r = cli(dataDir, ['config', 'check', '--json']);
  assert.equal(r.code, 2);
  const report = JSON.parse(r.stdout) as { ok: boolean; problems: string[] };
  assert.equal(report.ok, false);
  assert.equal(report.problems.length, 1);
  assert.match(report.problems[0]!, /^cluster-secret-file: .* mode 0604/);
  rmSync(good);
  r = cli(dataDir, ['config', 'check']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /problem: cluster-secret-file: .*ENOENT/);
  // Clearing the setting is always allowed (no remote hand-off).
  cliOk(dataDir, ['server', 'set', '--cluster-secret-file', '']);
  assert.equal(cli(dataDir, ['config', 'check']).code, 0);
});
