import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../tls/reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { analyzeCommand } from './analyze.js';
import type { CliContext } from './errors.js';
import { defaultConfig, saveConfig, type ConfigFile } from '../../config/config.js';
import { CertStore } from '../../tls/certstore.js';
import { signatureHashOf } from '../../observe/analyzer-gather.js';
import type { Finding } from '../../observe/analyzer.js';

type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

async function run(dataDir: string, args: string[] = ['--json']): Promise<{ code: number; worst: string; findings: Finding[]; text: string }> {
  const out: string[] = [];
  const ctx: CliContext = { dataDir, args, stdout: (t) => out.push(t), readStdin: async () => Buffer.alloc(0) };
  const code = await analyzeCommand(ctx);
  const text = out.join('\n');
  if (!args.includes('--json')) return { code, worst: '', findings: [], text };
  const parsed = JSON.parse(text) as { worst: string; findings: Finding[] };
  return { code, ...parsed, text };
}

async function dataDir(t: { after: (fn: () => Promise<void>) => void }, mutate: (cfg: ConfigFile) => void = () => {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'analyze-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o700);
  const cfg = defaultConfig('mail.example.org');
  mutate(cfg);
  saveConfig(dir, cfg);
  return dir;
}

function severity(findings: Finding[], id: string): string | undefined {
  return findings.find((f) => f.id === id)?.severity;
}

/** A CA-signed leaf for `host`, valid 200 days, signed with `hash`. */
async function caSigned(host: string, hash = 'SHA-256'): Promise<{ chainPem: string; keyPem: string }> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash };
  const caKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as Keys;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=Analyzer Test CA', keys: caKeys, signingAlgorithm: alg,
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 400 * 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const leafKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as Keys;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'), subject: `CN=${host}`, issuer: ca.subject,
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 200 * 86_400_000),
    publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey, signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }])],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey as unknown as webcrypto.CryptoKey));
  const keyPem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { chainPem: leaf.toString('pem') + '\n' + ca.toString('pem') + '\n', keyPem };
}

test('analyze on a fresh data dir: the self-signed certificate is a warning, exit 1', async (t) => {
  const dir = await dataDir(t);
  await CertStore.forDataDir(dir).generateSelfSigned('mail.example.org');
  const r = await run(dir);
  assert.equal(r.code, 1);
  assert.equal(r.worst, 'warning');
  assert.equal(severity(r.findings, 'certificate.self-signed.mail.example.org'), 'warning');
  assert.equal(severity(r.findings, 'certificate.signature.mail.example.org'), 'pass');
  assert.equal(severity(r.findings, 'certificate.name.imap4'), 'pass');
  assert.equal(severity(r.findings, 'login-type.imap4'), 'pass');
  assert.equal(severity(r.findings, 'data-dir.permissions'), 'pass');
  assert.equal(r.findings.filter((f) => f.severity === 'fail').length, 0, JSON.stringify(r.findings.filter((f) => f.severity === 'fail')));
  const text = await run(dir, []);
  assert.equal(text.code, 1);
  assert.match(text.text, /^\[WARN\] Certificate "mail\.example\.org" is self-signed .*\n.*\n +fix: portcullis cert import --cert CHAIN\.pem --key KEY\.pem/m);
  assert.match(text.text, /\n\d+ fail, \d+ warning, \d+ info, \d+ pass$/);
});

test('analyze on an insecure setup: fails, exit 1', async (t) => {
  const dir = await dataDir(t, (cfg) => {
    cfg.imap['login-type'] = 'PlainTextLogin';
    cfg.imap['x509-certificate-name'] = 'imap.example.org';
  });
  await CertStore.forDataDir(dir).generateSelfSigned('mail.example.org');
  await chmod(dir, 0o755);
  const r = await run(dir);
  assert.equal(r.code, 1);
  assert.equal(r.worst, 'fail');
  assert.equal(severity(r.findings, 'login-type.imap4'), 'fail');
  assert.equal(severity(r.findings, 'listeners.imap4'), 'fail');
  assert.equal(severity(r.findings, 'certificate.name.imap4'), 'fail');
  assert.equal(severity(r.findings, 'data-dir.permissions'), 'fail');
  assert.equal(severity(r.findings, 'login-type.pop3'), 'pass');
});

test('analyze on a good setup: CA-signed certificate, SecureLogin, TLS-only listeners: exit 0', async (t) => {
  const dir = await dataDir(t, (cfg) => {
    cfg.services.imap4 = 'Automatic';
    cfg.services['imap4-backend'] = 'Automatic';
    cfg.imap['unencrypted-or-tls-bindings'] = '';
    cfg.pop['unencrypted-or-tls-bindings'] = '';
  });
  const { chainPem, keyPem } = await caSigned('mail.example.org');
  await CertStore.forDataDir(dir).importPem(chainPem, keyPem);
  const r = await run(dir);
  assert.deepEqual(r.findings.filter((f) => f.severity === 'warning' || f.severity === 'fail'), []);
  assert.equal(r.code, 0);
  assert.equal(severity(r.findings, 'certificate.self-signed.mail.example.org'), 'pass');
  assert.equal(severity(r.findings, 'services.imap4'), 'pass');
});

test('signature hash is read from the certificate', async () => {
  assert.equal(signatureHashOf((await caSigned('a.example.org', 'SHA-1')).chainPem), 'SHA-1');
  assert.equal(signatureHashOf((await caSigned('a.example.org', 'SHA-384')).chainPem), 'SHA-384');
  assert.equal(signatureHashOf('not a certificate'), 'unknown');
});

test('the submission protocol log directory (log-file-location) is in the permission check', async (t) => {
  const logs = await mkdtemp(join(tmpdir(), 'analyze-smtp-logs-'));
  t.after(() => rm(logs, { recursive: true, force: true }));
  await chmod(logs, 0o755);
  const dir = await dataDir(t, (cfg) => {
    cfg.smtp['log-file-location'] = logs;
  });
  const r = await run(dir);
  const perms = r.findings.find((f) => f.id === 'data-dir.permissions');
  assert.equal(perms?.severity, 'fail');
  assert.ok(perms!.detail.includes(`${logs} is 755`), perms!.detail);
  await chmod(logs, 0o700);
  assert.equal(severity((await run(dir)).findings, 'data-dir.permissions'), 'pass');
});
