// Python's smtplib, unmodified, against the submission service over real STARTTLS (587) and
// implicit TLS (465); and the `portcullis queue` CLI commands over the same spool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queueCommands } from '../admin/cli/queue.js';
import { CliError, type CliContext } from '../admin/cli/errors.js';
import { silentLogger } from '../core/log.js';
import type { RunningService } from '../net/listener.js';
import { repoRoot } from '../../test/helpers/paths.js';
import { openOutboundQueue, type OutboundQueue } from './queue.js';
import { testSmtpSettings } from './settings.js';
import { startSubmission } from './submission.js';
import { makeEnv, messagesIn, type Env } from './testkit.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
let env: Env;
let svc: RunningService;
let queue: OutboundQueue;

before(async () => {
  env = await makeEnv([{ address: ALICE, password: 'alice-pw-1' }, { address: BOB, password: 'bob-pw-1' }]);
  const settings = testSmtpSettings({ fqdn: 'mx.example.test', sslBindings: [{ host: '127.0.0.1', port: 0 }], unencryptedOrTlsBindings: [{ host: '127.0.0.1', port: 0 }] });
  queue = openOutboundQueue({ dataDir: env.dir, settings: () => settings, mailboxes: env.mailboxes, logger: silentLogger });
  svc = await startSubmission({ settings: () => settings, tls: env.tls, auth: env.auth, mailboxes: env.mailboxes, queue, logger: silentLogger, accounts: env.store });
});

after(async () => {
  await svc?.stop();
  await queue?.stop();
  await env?.cleanup();
});

function python(script: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('python3', [join(repoRoot(), 'test', 'e2e', 'clients', script), ...args]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

test('smtplib: AUTH refused before STARTTLS, accepted after; local delivery; spoofed sender refused; implicit TLS', async () => {
  const ca = join(env.dir, 'ca.pem');
  writeFileSync(ca, env.tls.certPem);
  const ports = svc.listeners.addresses();
  const p587 = ports.find((a) => a.kind === 'starttls')!.port;
  const p465 = ports.find((a) => a.kind === 'implicit')!.port;
  const r = await python('smtp_submit.py', ['localhost', String(p587), String(p465), ALICE, 'alice-pw-1', BOB, ca]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /implicit TLS: login ok, message sent/);
  const subjects = (await messagesIn(env, BOB)).map((m) => /Subject: (.*)\r\n/.exec(m.toString())?.[1]);
  assert.deepEqual(subjects, ['via 587 STARTTLS', 'via 465 implicit TLS']);
});

function cli(args: string[]): { ctx: CliContext; out: string[] } {
  const out: string[] = [];
  return { out, ctx: { dataDir: env.dir, args, stdout: (t) => out.push(t), readStdin: async () => Buffer.alloc(0) } };
}

test('portcullis queue list|retry|remove over the spool', async () => {
  const id = await queue.enqueue({ from: ALICE, to: ['far@remote.test'], raw: Buffer.from('Subject: q\r\n\r\nx\r\n') });
  const l = cli(['--json']);
  await queueCommands.list(l.ctx);
  const listed = JSON.parse(l.out.join('\n')) as Array<{ id: string; to: string[] }>;
  assert.deepEqual(listed.map((e) => [e.id, e.to]), [[id, ['far@remote.test']]]);
  const r = cli([id]);
  assert.equal(await queueCommands.retry(r.ctx), 0);
  await assert.rejects(queueCommands.retry(cli(['../../etc/passwd']).ctx), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /ID: .* is not a queue id/.test(e.message));
  await assert.rejects(queueCommands.remove(cli([]).ctx), CliError);
  assert.equal(await queueCommands.remove(cli([id]).ctx), 0);
  await assert.rejects(queueCommands.remove(cli([id]).ctx), /no queue entry/);
  const e = cli([]);
  await queueCommands.list(e.ctx);
  assert.deepEqual(e.out, ['queue is empty']);
});
