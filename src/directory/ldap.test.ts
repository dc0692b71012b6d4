/**
 * LDAP directory against a real OpenLDAP (Debian's slapd) started here on a loopback port with a
 * throwaway config and database, and logins through a real IMAP frontend over TLS.
 * Skipped, with a message, when slapd is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthenticator } from '../auth/authenticator.js';
import { LineClient } from '../auth/testing/scram-client.js';
import { testImapSettings } from '../config/config.js';
import { silentLogger } from '../core/log.js';
import { createImapBackend, startImapFrontend } from '../imap/service.js';
import { createMailboxService } from '../mailbox/service.js';
import type { RunningService } from '../net/listener.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MailStore } from '../store/store.js';
import { createTestTlsProvider } from '../tls/provider.js';
import { createLdapDirectory } from './ldap.js';
import { DirectoryUnavailableError, type Directory } from './types.js';

const SLAPD = ['/usr/sbin/slapd', '/usr/local/libexec/slapd'].find((p) => existsSync(p));
const skip = SLAPD ? false : 'slapd is not installed (apt-get install slapd ldap-utils) — LDAP tests skipped';

const LDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: uid=erin,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: erin
cn: Erin
sn: Example
mail: erin@example.org
userPassword: erin-ldap-pw
roomNumber: 1048576
departmentNumber: be2.example.org:1993

dn: uid=frank,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: frank
cn: Frank
sn: Example
mail: frank@example.org
userPassword: frank-ldap-pw
carLicense: FALSE
`;

let work = '';
let slapd: ChildProcess | null = null;
let url = '';
let store: MailStore;
let imap: RunningService | null = null;
let imapPort = 0;
let ca = '';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) return;
    if (slapd?.exitCode !== null) throw new Error('slapd exited');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('slapd did not start');
}

function directory(over: Partial<Parameters<typeof createLdapDirectory>[0]> = {}): Directory {
  return createLdapDirectory({
    url, baseDn: 'ou=people,dc=example,dc=org', bindDn: 'cn=admin,dc=example,dc=org', bindPassword: 'admin-secret',
    attributes: { address: 'mail', quota: 'roomNumber', imapEnabled: 'carLicense', backend: 'departmentNumber' }, timeoutMs: 2000, ...over,
  });
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'portcullis-ldap-'));
  mkdirSync(join(work, 'db'));
  const conf = join(work, 'slapd.conf');
  writeFileSync(conf, [
    'include /etc/ldap/schema/core.schema', 'include /etc/ldap/schema/cosine.schema', 'include /etc/ldap/schema/inetorgperson.schema',
    `pidfile ${join(work, 'slapd.pid')}`, 'modulepath /usr/lib/ldap', 'moduleload back_mdb',
    'database mdb', 'maxsize 10485760', 'suffix "dc=example,dc=org"', 'rootdn "cn=admin,dc=example,dc=org"', 'rootpw admin-secret',
    `directory ${join(work, 'db')}`, '',
  ].join('\n'));
  writeFileSync(join(work, 'data.ldif'), LDIF);
  const add = spawnSync('/usr/sbin/slapadd', ['-f', conf, '-l', join(work, 'data.ldif')], { encoding: 'utf8' });
  assert.equal(add.status, 0, add.stderr);
  const port = await freePort();
  url = `ldap://127.0.0.1:${port}`;
  slapd = spawn(SLAPD!, ['-f', conf, '-h', `${url}/`, '-d', '0'], { stdio: 'ignore' });
  await waitForPort(port);

  store = await openSqliteStore(join(work, 'store'));
  const auth = createAuthenticator({
    store, logger: silentLogger, delay: async () => {}, directory: directory(),
    loginTypes: () => ({ imap4: 'SecureLogin', pop3: 'SecureLogin', smtp: 'SecureLogin' }),
  });
  const settings = testImapSettings({ sslBindings: [{ host: '127.0.0.1', port: 0 }], unencryptedOrTlsBindings: [] });
  const tlsProvider = await createTestTlsProvider('localhost');
  ca = tlsProvider.certPem;
  const backend = createImapBackend({ mailboxes: createMailboxService(store), settings: () => settings, logger: silentLogger });
  imap = await startImapFrontend({ settings: () => settings, tls: tlsProvider, auth, backend: () => backend, logger: silentLogger });
  imapPort = imap.listeners.addresses().find((a) => a.kind === 'implicit')!.port;
});

after(async () => {
  await imap?.stop();
  await store?.close();
  slapd?.kill('SIGTERM');
  if (slapd && slapd.exitCode === null) await new Promise((r) => slapd!.once('exit', r));
  if (work) rmSync(work, { recursive: true, force: true });
});

async function imapLogin(user: string, password: string): Promise<string> {
  const c = await LineClient.connect(imapPort, ca);
  try {
    await c.line();
    c.send(`A1 LOGIN "${user}" "${password}"`);
    return await c.until(/^A1 /);
  } finally {
    c.close();
  }
}

test('LDAP search-then-bind: login over IMAP creates the account with the directory quota', { skip }, async () => {
  assert.match(await imapLogin('erin@example.org', 'erin-ldap-pw'), /^A1 OK/);
  assert.match(await imapLogin('erin', 'erin-ldap-pw'), /^A1 OK/, 'uid works too');
  const acct = await store.getAccount('erin@example.org');
  assert.equal(acct?.quotaBytes, 1048576);
  assert.equal(acct?.backend, 'be2.example.org:1993', 'the backend-attribute pin lands on the store account');
});

test('LDAP: wrong password, unknown user, empty password and disabled user are refused', { skip }, async () => {
  assert.match(await imapLogin('erin@example.org', 'wrong'), /^A1 NO \[AUTHENTICATIONFAILED\]/);
  assert.match(await imapLogin('nobody@example.org', 'whatever'), /^A1 NO \[AUTHENTICATIONFAILED\]/);
  assert.match(await imapLogin('erin@example.org', ''), /^A1 NO /);
  assert.match(await imapLogin('frank@example.org', 'frank-ldap-pw'), /^A1 NO /);
  assert.equal((await store.getAccount('frank@example.org'))?.imapEnabled, false);
});

test('LDAP bind-as-user mode', { skip }, async () => {
  const d = directory({ mode: 'bind-as-user', userDnTemplate: 'uid={user},ou=people,dc=example,dc=org', bindDn: undefined });
  assert.equal((await d.verify('erin', 'erin-ldap-pw'))?.address, 'erin@example.org');
  assert.equal(await d.verify('erin', 'nope'), null);
});

test('LDAP backend-attribute: the pin is read when configured, null when the entry has none, absent when not configured', { skip }, async () => {
  assert.equal((await directory().lookup('erin'))?.backend, 'be2.example.org:1993');
  assert.equal((await directory().lookup('frank'))?.backend, null);
  const unmapped = await directory({ attributes: { address: 'mail' } }).lookup('erin');
  assert.equal(unmapped !== null && 'backend' in unmapped, false);
});

test('LDAP directory down or silent: a clean unavailable error, not a hang', { skip }, async () => {
  const down = directory({ url: `ldap://127.0.0.1:${await freePort()}` });
  await assert.rejects(down.verify('erin@example.org', 'erin-ldap-pw'), DirectoryUnavailableError);
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); silent.close(() => r()); }));
  const hang = directory({ url: `ldap://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, timeoutMs: 300 });
  await assert.rejects(hang.verify('erin@example.org', 'erin-ldap-pw'), DirectoryUnavailableError);
  // Through IMAP: stop slapd, then log in.
  slapd?.kill('SIGTERM');
  if (slapd && slapd.exitCode === null) await new Promise((r) => slapd!.once('exit', r));
  assert.match(await imapLogin('erin@example.org', 'erin-ldap-pw'), /^A1 NO \[UNAVAILABLE\]/);
});
