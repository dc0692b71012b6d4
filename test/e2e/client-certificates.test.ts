// SASL EXTERNAL with TLS client certificates: a throwaway CA made with the openssl CLI, then
// Python's imaplib, poplib and smtplib with ssl_context.load_cert_chain() against a real server.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, python, cliOk, type Server } from './harness.js';

const alice = 'alice@example.test';
const bob = 'bob@example.test';
let server: Server;
let certs: string;

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: certs, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function makeCa(name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
}

function makeClient(name: string, ca: string, email: string, serial: number): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`,
    '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${email}`, '-addext', 'extendedKeyUsage=clientAuth']);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(serial), '-days', '2',
    '-out', `${name}.pem`, '-copy_extensions', 'copy']);
}

interface Seen { mechanisms: string[]; ok: boolean; reply: string; after: string }

async function login(proto: 'imap' | 'pop' | 'smtp', port: number | undefined, mode: 'implicit' | 'starttls', cert: string | null, mech: string[]): Promise<Seen> {
  assert.ok(port, `${proto} port`);
  const files = cert ? [join(certs, `${cert}.pem`), join(certs, `${cert}.key`)] : ['-', '-'];
  const r = await python('cert_login.py', [proto, '127.0.0.1', String(port), mode, ...files, ...mech]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout) as Seen;
}

before(async () => {
  certs = mkdtempSync(join(tmpdir(), 'portcullis-e2e-certs-'));
  makeCa('trusted-ca');
  makeCa('other-ca');
  makeClient('alice', 'trusted-ca', alice, 2);
  makeClient('stranger', 'other-ca', alice, 3); // names alice, but from a CA the server does not trust
  server = await startServer({
    services: ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'submission'],
    users: [{ address: alice, password: 'alice-secret-pw' }, { address: bob, password: 'bob-secret-pw' }],
  });
  cliOk(server.dataDir, ['deliver', '--to', alice], 'From: x@example.test\r\nSubject: for alice\r\n\r\nhello\r\n');
  // Live setting: the running server requests certificates from the next connection on.
  cliOk(server.dataDir, ['auth', 'set', '--client-certificate-ca-file', join(certs, 'trusted-ca.pem')]);
  await server.reload();
});
after(async () => {
  await server?.stop();
  if (certs) rmSync(certs, { recursive: true, force: true });
});

test('IMAP: AUTHENTICATE EXTERNAL with a certificate from the trusted CA logs in as its address', async () => {
  const ir = await login('imap', server.ports.imaps, 'implicit', 'alice', ['external', '']);
  assert.ok(ir.mechanisms.includes('EXTERNAL'), JSON.stringify(ir));
  assert.equal(ir.ok, true, ir.reply);
  assert.equal(ir.after, 'INBOX OK 1'); // alice's mailbox, with the message delivered to her
  const noInitialResponse = await login('imap', server.ports.imaps, 'implicit', 'alice', ['external-noir']);
  assert.equal(noInitialResponse.ok, true, noInitialResponse.reply);
  assert.equal(noInitialResponse.after, 'INBOX OK 1');
});

test('IMAP: a certificate from another CA: EXTERNAL neither advertised nor accepted', async () => {
  const r = await login('imap', server.ports.imaps, 'implicit', 'stranger', ['external', '']);
  assert.ok(!r.mechanisms.includes('EXTERNAL'), JSON.stringify(r));
  assert.ok(r.mechanisms.includes('PLAIN'));
  assert.equal(r.ok, false);
  assert.match(r.reply, /\bNO\b/);
  assert.equal(r.after, '');
});

test('IMAP: an authorization identity of another user is refused with AUTHORIZATIONFAILED', async () => {
  const r = await login('imap', server.ports.imaps, 'implicit', 'alice', ['external', bob]);
  assert.equal(r.ok, false);
  assert.match(r.reply, /NO.*\[AUTHORIZATIONFAILED\]/);
});

test('IMAP: a client without a certificate still logs in with PLAIN and is not offered EXTERNAL', async () => {
  const r = await login('imap', server.ports.imaps, 'implicit', null, ['plain', alice, 'alice-secret-pw']);
  assert.ok(!r.mechanisms.includes('EXTERNAL'), JSON.stringify(r));
  assert.equal(r.ok, true, r.reply);
  assert.equal(r.after, 'INBOX OK 1');
});

test('POP3: AUTH EXTERNAL after STLS', async () => {
  const r = await login('pop', server.ports.pop3, 'starttls', 'alice', ['external', '']);
  assert.ok(r.mechanisms.includes('EXTERNAL'), JSON.stringify(r));
  assert.equal(r.ok, true, r.reply);
  assert.match(r.after, /^STAT 1 \d+$/);
});

test('SMTP submission: AUTH EXTERNAL on the implicit-TLS port (then MAIL FROM as that user) and after STARTTLS', async () => {
  const r = await login('smtp', server.ports.submissions, 'implicit', 'alice', ['external', '', alice]);
  assert.ok(r.mechanisms.includes('EXTERNAL'), JSON.stringify(r));
  assert.match(r.reply, /^235 /);
  assert.equal(r.after, 'MAIL 250');
  const starttls = await login('smtp', server.ports.submission, 'starttls', 'alice', ['external', '', alice]);
  assert.ok(starttls.mechanisms.includes('EXTERNAL'), JSON.stringify(starttls));
  assert.match(starttls.reply, /^235 /);
});

test('the security log records EXTERNAL logins and refusals', async () => {
  const dir = join(server.dataDir, 'logs', 'security');
  const read = (): string => (existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('') : '');
  const has = (text: string): boolean => text.split('\n').some((l) => l.includes('"mechanism":"EXTERNAL"') && l.includes('"result":"failure"'))
    && text.split('\n').some((l) => l.includes('"mechanism":"EXTERNAL"') && l.includes('"result":"success"') && l.includes('"protocol":"smtp"'));
  // The log is written asynchronously: wait for the condition (bounded), not for a fixed time.
  for (let i = 0; i < 200 && !has(read()); i++) await new Promise((r) => setTimeout(r, 25));
  const text = read();
  assert.ok(has(text), text.slice(-2000));
  assert.ok(!text.includes('BEGIN CERTIFICATE'));
});
