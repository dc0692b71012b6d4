/**
 * LDAP directory against a real OpenLDAP (Debian's slapd) started here on a loopback port with a
 * throwaway config and database (slapd-testkit.ts), and logins through real IMAP and POP3
 * frontends over TLS. Skipped, with a message, when slapd is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { generateAppPassword, normalizeAppPassword } from '../auth/app-passwords.js';
import { createAuthenticator } from '../auth/authenticator.js';
import type { OAuthSettings } from '../auth/jwt.js';
import { hashPassword } from '../auth/passwords.js';
import { LineClient, b64 } from '../auth/testing/scram-client.js';
import { testImapSettings, testPopSettings } from '../config/config.js';
import { silentLogger } from '../core/log.js';
import { createImapBackend, startImapFrontend } from '../imap/service.js';
import { createMailboxService } from '../mailbox/service.js';
import type { RunningService } from '../net/listener.js';
import { createPop3Backend, startPop3Frontend } from '../pop3/service.js';
import { PopClient } from '../pop3/testkit.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MailStore } from '../store/store.js';
import { createTestTlsProvider } from '../tls/provider.js';
import { createLdapDirectory } from './ldap.js';
import { ADMIN_DN, ADMIN_PASSWORD, BASE_DN, BASE_LDIF, SLAPD_MISSING, freePort, startSlapd, type Slapd } from './slapd-testkit.js';
import { DirectoryUnavailableError, type Directory } from './types.js';

const skip = SLAPD_MISSING;

const person = (uid: string, extra: string[] = []): string => [
  `dn: uid=${uid},ou=people,dc=example,dc=org`, 'objectClass: inetOrgPerson', `uid: ${uid}`,
  `cn: ${uid}`, 'sn: Example', `mail: ${uid}@example.org`, `userPassword: ${uid}-ldap-pw`, ...extra, '',
].join('\n');

// Mapping: quota roomNumber, imap-enabled carLicense, pop-enabled employeeType, pin departmentNumber.
const LDIF = [BASE_LDIF,
person('erin', ['roomNumber: 1048576', 'departmentNumber: be2.example.org:1993']),
person('frank', ['carLicense: FALSE']),
person('gina', ['employeeType: FALSE']),
person('hank'),
person('ivy'),
].join('\n');

let slapd: Slapd | null = null;
let url = '';
let work = '';
let store: MailStore;
let imap: RunningService | null = null;
let pop: RunningService | null = null;
let imapPort = 0;
let popPort = 0;
let ca = '';
const idp = generateKeyPairSync('rsa', { modulusLength: 2048 });
const oauth: OAuthSettings = { issuers: [{ issuer: 'https://idp.example', audience: ['portcullis'], keys: [{ kid: 'k1', pem: idp.publicKey.export({ type: 'spki', format: 'pem' }).toString() }] }] };

function directory(over: Partial<Parameters<typeof createLdapDirectory>[0]> = {}): Directory {
  return createLdapDirectory({
    url, baseDn: BASE_DN, bindDn: ADMIN_DN, bindPassword: ADMIN_PASSWORD,
    attributes: { address: 'mail', quota: 'roomNumber', imapEnabled: 'carLicense', popEnabled: 'employeeType', backend: 'departmentNumber' }, timeoutMs: 2000, ...over,
  });
}

before(async () => {
  if (skip) return;
  slapd = await startSlapd(LDIF);
  url = slapd.url;
  work = mkdtempSync(join(tmpdir(), 'portcullis-ldap-store-'));
  store = await openSqliteStore(work);
  const auth = createAuthenticator({
    store, logger: silentLogger, delay: async () => {}, directory: directory(), oauth: () => oauth, masterUsers: () => ['erin@example.org'],
    loginTypes: () => ({ imap4: 'SecureLogin', pop3: 'SecureLogin', smtp: 'SecureLogin' }),
  });
  const tlsProvider = await createTestTlsProvider('localhost');
  ca = tlsProvider.certPem;
  const imapSettings = testImapSettings({ sslBindings: [{ host: '127.0.0.1', port: 0 }], unencryptedOrTlsBindings: [] });
  const mailboxes = createMailboxService(store);
  const imapBackend = createImapBackend({ mailboxes, settings: () => imapSettings, logger: silentLogger });
  imap = await startImapFrontend({ settings: () => imapSettings, tls: tlsProvider, auth, backend: () => imapBackend, logger: silentLogger });
  imapPort = imap.listeners.addresses().find((a) => a.kind === 'implicit')!.port;
  const popSettings = testPopSettings({ sslBindings: [{ host: '127.0.0.1', port: 0 }], unencryptedOrTlsBindings: [] });
  const popBackend = createPop3Backend({ mailboxes, locks: store, settings: () => popSettings, logger: silentLogger });
  pop = await startPop3Frontend({ settings: () => popSettings, tls: tlsProvider, auth, backend: () => popBackend, logger: silentLogger });
  popPort = pop.listeners.addresses().find((a) => a.kind === 'implicit')!.port;
});

after(async () => {
  await imap?.stop();
  await pop?.stop();
  await store?.close();
  await slapd?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Sends one IMAP command after the greeting over implicit TLS; returns its tagged reply. */
async function imapCommand(command: string): Promise<string> {
  const c = await LineClient.connect(imapPort, ca);
  try {
    await c.line();
    c.send(`A1 ${command}`);
    return await c.until(/^A1 /);
  } finally {
    c.close();
  }
}

const imapLogin = (user: string, password: string): Promise<string> => imapCommand(`LOGIN "${user}" "${password}"`);

async function popLogin(user: string, password: string): Promise<string> {
  const c = await PopClient.connect(popPort, { tls: true, ca });
  try {
    await c.readLine();
    return await c.login(user, password);
  } finally {
    c.close();
  }
}

/** IMAP AUTHENTICATE XOAUTH2 (SASL-IR) with a JWT from the test issuer naming `email`. */
function xoauth2(email: string): Promise<string> {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const data = `${enc({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${enc({ iss: 'https://idp.example', aud: 'portcullis', exp: now + 300, email })}`;
  const token = `${data}.${sign('sha256', Buffer.from(data), idp.privateKey).toString('base64url')}`;
  return imapCommand(`AUTHENTICATE XOAUTH2 ${b64(`user=${email}\x01auth=Bearer ${token}\x01\x01`)}`);
}

/** As the master user erin, authorised as `target` (AUTHENTICATE PLAIN with an authzid). */
const masterLogin = (target: string): Promise<string> => imapCommand(`AUTHENTICATE PLAIN ${b64(`${target}\x00erin@example.org\x00erin-ldap-pw`)}`);

/** Changes (or, with null, deletes) a directory entry as the directory's administrator. */
async function ldapModify(uid: string, change: { replace: Record<string, string> } | null): Promise<void> {
  const c = new Client({ url });
  try {
    await c.bind(ADMIN_DN, ADMIN_PASSWORD);
    const dn = `uid=${uid},${BASE_DN}`;
    if (change === null) await c.del(dn);
    else await c.modify(dn, Object.entries(change.replace).map(([type, v]) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [v] }) })));
  } finally {
    await c.unbind();
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

test('LDAP pop-enabled: POP3 login allowed when the attribute is unset, refused when FALSE; IMAP unaffected', { skip }, async () => {
  assert.match(await popLogin('erin@example.org', 'erin-ldap-pw'), /^\+OK/);
  const wrong = await popLogin('gina@example.org', 'not-her-password');
  assert.match(wrong, /^-ERR \[AUTH\]/);
  assert.equal(await popLogin('gina@example.org', 'gina-ldap-pw'), wrong, 'disabled: the same reply as a wrong password');
  assert.match(await imapLogin('gina@example.org', 'gina-ldap-pw'), /^A1 OK/);
  const gina = await store.getAccount('gina@example.org');
  assert.deepEqual([gina?.imapEnabled, gina?.popEnabled], [true, false]);
  assert.match(await popLogin('frank@example.org', 'frank-ldap-pw'), /^\+OK/, 'frank has IMAP off, POP3 on');
});

test('LDAP switches are read afresh at bearer-token and master-user logins; a user gone from the directory is refused', { skip }, async () => {
  assert.match(await xoauth2('hank@example.org'), /^A1 OK/, 'a token for a directory user creates the account');
  assert.equal((await store.getAccount('hank@example.org'))?.imapEnabled, true);
  assert.match(await masterLogin('hank@example.org'), /^A1 OK/);

  await ldapModify('hank', { replace: { carLicense: 'FALSE', roomNumber: '2048' } });
  assert.match(await xoauth2('hank@example.org'), /^A1 NO /, 'IMAP switched off in the directory: the token login is refused');
  assert.match(await masterLogin('hank@example.org'), /^A1 NO /, 'and so is a master user acting as hank');
  const hank = await store.getAccount('hank@example.org');
  assert.deepEqual([hank?.imapEnabled, hank?.quotaBytes], [false, 2048], 'the store account follows the directory');

  await ldapModify('hank', { replace: { carLicense: 'TRUE' } });
  assert.match(await xoauth2('hank@example.org'), /^A1 OK/);

  await ldapModify('hank', null);
  assert.match(await xoauth2('hank@example.org'), /^A1 NO \[AUTHENTICATIONFAILED\]/, 'removed from the directory: refused');
  assert.match(await masterLogin('hank@example.org'), /^A1 NO /);
});

test('LDAP with app passwords: app passwords kept in the store log in for their protocols; the directory switches still apply', { skip }, async () => {
  assert.match(await imapLogin('ivy', 'ivy-ldap-pw'), /^A1 OK/, 'the first login creates the store account');
  const ivy = (await store.getAccount('ivy@example.org'))!;
  const appPw = generateAppPassword();
  await store.createAppPassword!(ivy.id, 'phone', await hashPassword(normalizeAppPassword(appPw)!, { scram: false }), ['imap4']);
  assert.match(await imapLogin('ivy@example.org', appPw), /^A1 OK/);
  assert.match(await imapLogin('ivy', appPw.toUpperCase()), /^A1 OK/, 'by uid, in any case');
  assert.match(await imapLogin('ivy@example.org', generateAppPassword()), /^A1 NO \[AUTHENTICATIONFAILED\]/, 'another app-password-shaped secret');
  assert.match(await popLogin('ivy@example.org', appPw), /^-ERR /, 'not allowed for POP3');
  assert.match(await popLogin('ivy@example.org', 'ivy-ldap-pw'), /^\+OK/, 'the directory password still works');
  await ldapModify('ivy', { replace: { carLicense: 'FALSE' } });
  assert.match(await imapLogin('ivy@example.org', appPw), /^A1 NO /, 'IMAP switched off in the directory');
  await ldapModify('ivy', null);
  assert.match(await imapLogin('ivy@example.org', appPw), /^A1 NO \[AUTHENTICATIONFAILED\]/, 'removed from the directory');
  assert.ok((await store.listAppPasswords!(ivy.id))[0]!.lastUsedAt, 'last use noted');
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
  await slapd!.stop();
  assert.match(await imapLogin('erin@example.org', 'erin-ldap-pw'), /^A1 NO \[UNAVAILABLE\]/);
});
