/**
 * TLS to the directory against a real slapd that listens on ldap:// (StartTLS) and ldaps:// with
 * a throwaway certificate and refuses operations without TLS: IMAP logins through the directory
 * with the right CA succeed over both; a wrong CA, or no StartTLS, gives a clean
 * NO [UNAVAILABLE] at once (no hang). Skipped, with a message, when slapd is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { createLdapDirectory, type LdapSettings } from './ldap.js';
import { ADMIN_DN, ADMIN_PASSWORD, BASE_DN, BASE_LDIF, SLAPD_MISSING, makeCertificate, startSlapd, type Slapd } from './slapd-testkit.js';
import type { Directory } from './types.js';

const skip = SLAPD_MISSING;
const LDIF = `${BASE_LDIF}
dn: uid=erin,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: erin
cn: Erin
sn: Example
mail: erin@example.org
userPassword: erin-ldap-pw
`;
const TIMEOUT_MS = 3000;

let slapd: Slapd | null = null;
let work = '';
let wrongCa = '';
let store: MailStore;
let imap: RunningService | null = null;
let imapPort = 0;
let imapCa = '';
/** The directory the IMAP server's authenticator uses; each test sets it. */
let current: Directory | null = null;

before(async () => {
  if (skip) return;
  slapd = await startSlapd(LDIF, { tls: true });
  work = mkdtempSync(join(tmpdir(), 'portcullis-ldap-tls-'));
  wrongCa = makeCertificate(work, 'other-ca').certPem;
  store = await openSqliteStore(join(work, 'store'));
  const switching: Directory = {
    kind: 'ldap',
    lookup: (u) => current!.lookup(u),
    verify: (u, p) => current!.verify(u, p),
    close: async () => {},
  };
  const auth = createAuthenticator({
    store, logger: silentLogger, delay: async () => {}, directory: switching,
    loginTypes: () => ({ imap4: 'SecureLogin', pop3: 'SecureLogin', smtp: 'SecureLogin' }),
  });
  const tlsProvider = await createTestTlsProvider('localhost');
  imapCa = tlsProvider.certPem;
  const settings = testImapSettings({ sslBindings: [{ host: '127.0.0.1', port: 0 }], unencryptedOrTlsBindings: [] });
  const backend = createImapBackend({ mailboxes: createMailboxService(store), settings: () => settings, logger: silentLogger });
  imap = await startImapFrontend({ settings: () => settings, tls: tlsProvider, auth, backend: () => backend, logger: silentLogger });
  imapPort = imap.listeners.addresses().find((a) => a.kind === 'implicit')!.port;
});

after(async () => {
  await imap?.stop();
  await store?.close();
  await slapd?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

function use(over: Partial<LdapSettings>): void {
  current = createLdapDirectory({ url: slapd!.url, baseDn: BASE_DN, bindDn: ADMIN_DN, bindPassword: ADMIN_PASSWORD, timeoutMs: TIMEOUT_MS, ...over });
}

/** IMAP LOGIN as erin; the tagged reply and how long it took. */
async function login(password = 'erin-ldap-pw'): Promise<{ reply: string; ms: number }> {
  const c = await LineClient.connect(imapPort, imapCa);
  try {
    await c.line();
    const t0 = Date.now();
    c.send(`A1 LOGIN erin@example.org "${password}"`);
    const reply = await c.until(/^A1 /);
    return { reply, ms: Date.now() - t0 };
  } finally {
    c.close();
  }
}

test('StartTLS on ldap:// with the CA: login works; without StartTLS the directory refuses and the login is UNAVAILABLE', { skip }, async () => {
  use({ startTls: true, tlsCa: slapd!.caPem });
  assert.match((await login()).reply, /^A1 OK/);
  assert.match((await login('wrong-password')).reply, /^A1 NO \[AUTHENTICATIONFAILED\]/);
  use({});
  assert.match((await login()).reply, /^A1 NO \[UNAVAILABLE\]/, 'slapd requires TLS: proof that the first login used it');
});

test('ldaps:// with the CA: login works', { skip }, async () => {
  use({ url: slapd!.ldapsUrl, tlsCa: slapd!.caPem });
  assert.match((await login()).reply, /^A1 OK/);
  assert.match((await login('wrong-password')).reply, /^A1 NO \[AUTHENTICATIONFAILED\]/);
});

test('a wrong CA (ldaps:// and StartTLS) gives a clean NO [UNAVAILABLE] at once, not a hang', { skip }, async () => {
  for (const over of [{ url: slapd!.ldapsUrl, tlsCa: wrongCa }, { startTls: true, tlsCa: wrongCa }, { url: slapd!.ldapsUrl }]) {
    use(over);
    const r = await login();
    assert.match(r.reply, /^A1 NO \[UNAVAILABLE\]/, JSON.stringify({ ...over, tlsCa: over.tlsCa ? 'set' : 'none' }));
    assert.ok(r.ms < TIMEOUT_MS, `answered in ${r.ms} ms, before the ${TIMEOUT_MS} ms timeout`);
  }
  use({ url: slapd!.ldapsUrl, tlsCa: slapd!.caPem });
  assert.match((await login()).reply, /^A1 OK/, 'the directory itself was fine all along');
});
