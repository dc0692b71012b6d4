// `portcullis analyze` as an administrator runs it: on a fresh init (warnings, exit 1), on an
// insecure legacy setup (cleartext login on a public cleartext binding: fail, exit 1), and on a
// good setup (a certificate signed by a CA made here with the openssl CLI, imported with
// `cert import` and selected by name, SecureLogin: exit 0).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliOk, makeDataDir } from './harness.js';

interface Finding { id: string; severity: 'pass' | 'info' | 'warning' | 'fail'; title: string; detail: string; fix: string | null }
interface Report { worst: Finding['severity']; findings: Finding[] }

const cleanup: string[] = [];
after(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function freshDataDir(hostname: string): string {
  const root = makeDataDir();
  cleanup.push(root);
  const dataDir = join(root, 'data');
  cliOk(dataDir, ['init', '--hostname', hostname]);
  return dataDir;
}

function analyze(dataDir: string): { code: number; report: Report; text: string } {
  const json = cli(dataDir, ['analyze', '--json']);
  const text = cli(dataDir, ['analyze']);
  assert.equal(json.code, text.code, 'the same exit code with and without --json');
  return { code: json.code, report: JSON.parse(json.stdout) as Report, text: text.stdout };
}

const bad = (r: Report): Finding[] => r.findings.filter((f) => f.severity === 'warning' || f.severity === 'fail');

test('fresh init: the self-signed certificate is a warning; exit 1', () => {
  const dataDir = freshDataDir('mail.fresh.test');
  const { code, report, text } = analyze(dataDir);
  assert.equal(code, 1);
  assert.equal(report.worst, 'warning');
  const selfSigned = report.findings.find((f) => f.id === 'certificate.self-signed.mail.fresh.test');
  assert.equal(selfSigned?.severity, 'warning');
  assert.match(selfSigned!.fix ?? '', /^portcullis cert import /);
  assert.ok(report.findings.some((f) => f.id === 'services.none' && f.severity === 'info'));
  assert.equal(report.findings.find((f) => f.id === 'login-type.imap4')?.severity, 'pass');
  assert.match(text, /^\[WARN\] .*self-signed/m);
  assert.match(text, /\d+ fail, \d+ warning, \d+ info, \d+ pass\s*$/);
});

test('insecure setup: PlainTextLogin with a cleartext binding on 0.0.0.0 fails, with the fixing commands', () => {
  const dataDir = freshDataDir('mail.legacy.test');
  cliOk(dataDir, ['imap', 'set', '--login-type', 'PlainTextLogin', '--unencrypted-or-tls-bindings', '0.0.0.0:143']);
  const { code, report } = analyze(dataDir);
  assert.equal(code, 1);
  assert.equal(report.worst, 'fail');
  const login = report.findings.find((f) => f.id === 'login-type.imap4');
  assert.equal(login?.severity, 'fail');
  assert.equal(login?.fix, 'portcullis imap set --login-type SecureLogin');
  assert.equal(report.findings.find((f) => f.id === 'login-type.pop3')?.severity, 'pass', 'POP3 left at SecureLogin');

  // The fix the analyzer names works: the login-type finding passes afterwards.
  cliOk(dataDir, ['imap', 'set', '--login-type', 'SecureLogin']);
  assert.equal(analyze(dataDir).report.findings.find((f) => f.id === 'login-type.imap4')?.severity, 'pass');
});

test('good setup: a CA-signed certificate selected by name and SecureLogin; exit 0', () => {
  const host = 'mail.good.test';
  const dataDir = freshDataDir(host);
  const work = mkdtempSync(join(tmpdir(), 'portcullis-analyzer-ca-'));
  cleanup.push(work);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '730', '-subj', '/CN=Portcullis Analyzer Test CA');
  writeFileSync(join(work, 'leaf.ext'), `subjectAltName=DNS:${host}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${host}`);
  openssl('x509', '-req', '-sha256', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '365', '-extfile', 'leaf.ext');
  writeFileSync(join(work, 'chain.pem'), Buffer.concat([readFileSync(join(work, 'leaf.pem')), readFileSync(join(work, 'ca.pem'))]));

  assert.match(cliOk(dataDir, ['cert', 'import', '--cert', join(work, 'chain.pem'), '--key', join(work, 'leaf.key'), '--name', 'good-ca']), /Imported "good-ca" for mail\.good\.test/);
  cliOk(dataDir, ['imap', 'set', '--x509-certificate-name', 'good-ca', '--login-type', 'SecureLogin']);
  cliOk(dataDir, ['pop', 'set', '--x509-certificate-name', 'good-ca', '--login-type', 'SecureLogin']);
  cliOk(dataDir, ['smtp', 'set', '--tls-certificate-name', 'good-ca']);

  const { code, report, text } = analyze(dataDir);
  assert.deepEqual(bad(report), [], text);
  assert.equal(code, 0);
  assert.ok(report.worst === 'pass' || report.worst === 'info');
  const issued = report.findings.find((f) => f.id === 'certificate.self-signed.good-ca');
  assert.equal(issued?.severity, 'pass', 'the imported certificate is recognised as CA-issued');
  for (const p of ['imap4', 'pop3', 'smtp']) {
    const name = report.findings.find((f) => f.id === `certificate.name.${p}`);
    assert.equal(name?.severity, 'pass', `${p}: ${name?.title}`);
    assert.match(name!.title, /"good-ca"/);
  }
  assert.ok(!report.findings.some((f) => f.id === 'certificate.self-signed.mail.good.test' && f.severity !== 'pass' && f.severity !== 'info'),
    'the unused self-signed certificate from init is no longer flagged');
});

test('admin API on 0.0.0.0, a whole-internet allow-list, TLS 1.3 only: findings from the settings, exit 1', () => {
  const dataDir = freshDataDir('mail.admin.test');
  cliOk(dataDir, ['service', 'enable', 'admin']);
  cliOk(dataDir, ['admin', 'set', '--bindings', '0.0.0.0:8443']);
  cliOk(dataDir, ['auth', 'set', '--allow-list', '0.0.0.0/0']);
  cliOk(dataDir, ['server', 'set', '--tls-min-version', 'TLSv1.3']);
  const { code, report, text } = analyze(dataDir);
  assert.equal(code, 1);
  const admin = report.findings.find((f) => f.id === 'listeners.admin');
  assert.equal(admin?.severity, 'warning', text);
  assert.match(admin!.detail, /0\.0\.0\.0:8443/);
  assert.equal(admin?.fix, 'portcullis admin set --bindings 127.0.0.1:8443');
  const throttling = report.findings.find((f) => f.id === 'auth.throttling');
  assert.equal(throttling?.severity, 'fail');
  assert.equal(throttling?.fix, "portcullis auth set --allow-list ''");
  assert.equal(report.findings.find((f) => f.id === 'tls.versions')?.title, 'TLS 1.3 and later only');
  assert.match(text, /^\[WARN\] Admin API reachable off loopback/m);

  // The fixes the analyzer names work.
  cliOk(dataDir, ['admin', 'set', '--bindings', '127.0.0.1:8443']);
  cliOk(dataDir, ['auth', 'set', '--allow-list', '']);
  const after = analyze(dataDir).report.findings;
  assert.equal(after.find((f) => f.id === 'listeners.admin')?.severity, 'pass');
  assert.equal(after.find((f) => f.id === 'auth.throttling')?.severity, 'pass');
});
