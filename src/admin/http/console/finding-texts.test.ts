import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type AnalyzerInput, type CertificateFacts, type Finding, type ProtocolFacts } from '../../../observe/analyzer.js';
import { defaultConfig } from '../../../config/config.js';
import { TLS12_CIPHERS, TLS13_CIPHERSUITES } from '../../../tls/policy.js';
import type { AuthFailureReason } from '../../../auth/types.js';
import { repoRoot } from '../../../../test/helpers/paths.js';
import { request, startAdminFixture, type AdminFixture } from '../test-support.js';
import { FINDING_TEXTS, findingTextOrNull } from './finding-texts.js';
import { isStringKey, t } from './strings.js';
import { loginsPage } from './pages.js';

const NOW = new Date('2024-06-01T00:00:00Z');
const DAY = 86_400_000;
const any4 = (port: number) => ({ host: '0.0.0.0', port });
const loop = (port: number) => ({ host: '127.0.0.1', port });

function proto(protocol: 'imap4' | 'pop3' | 'smtp', over: Partial<ProtocolFacts> = {}): ProtocolFacts {
  const section = protocol === 'imap4' ? 'imap' : protocol === 'pop3' ? 'pop' : 'smtp';
  return {
    protocol, section, frontend: protocol === 'smtp' ? 'submission' : protocol, backend: protocol === 'smtp' ? null : `${protocol}-backend`,
    loginType: 'SecureLogin', sslBindings: [any4(993)], cleartextBindings: [any4(143)],
    certificateSetting: 'x509-certificate-name', certificateName: '', selectedCertificate: 'mail.example.org',
    protocolLog: { enabled: false, maxAgeDays: 30, maxTotalBytes: 1024 ** 3 }, ...over,
  };
}

function cert(over: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    name: 'mail.example.org', subjectAltNames: ['mail.example.org'], notAfter: new Date(NOW.getTime() + 365 * DAY),
    selfSigned: true, keyType: 'ECDSA P-256', keySize: 256, signatureHash: 'SHA-256', inUseBy: ['imap4'], ...over,
  };
}

function input(over: Partial<AnalyzerInput> = {}): AnalyzerInput {
  return {
    hostname: 'mail.example.org', services: defaultConfig('mail.example.org').services, protocols: [proto('imap4')], certificates: [cert()],
    tls: { minVersion: 'TLSv1.2', ciphers: [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS] },
    paths: [{ path: '/srv/data', mode: 0o700 }], dataDir: '/srv/data', freeDiskBytes: 50 * 1024 ** 3,
    throttling: { allowList: [], maxDelayMs: 8000, ipBlockAfter: 10 }, lmtpHosts: ['127.0.0.1'], adminBindings: null, now: NOW, ...over,
  };
}

const on = (...names: string[]) => ({ ...defaultConfig('x').services, ...Object.fromEntries(names.map((n) => [n, 'Automatic'])) });
const conn = (entry: string): NonNullable<ProtocolFacts['connectionSettings']>[number] => {
  const [host, port, enc] = entry.split(':');
  return { setting: 'external-connection-settings', entry, host, port: Number(port), encryption: (enc ?? '') as 'SSL' | 'TLS' | '' };
};

/** Inputs that together reach every branch of every check. */
function scenarios(): AnalyzerInput[] {
  return [
    input(),
    input({
      services: on('imap4', 'pop3', 'pop3-backend', 'submission', 'lmtp', 'admin', 'imap4-backend'),
      protocols: [
        proto('imap4', { loginType: 'PlainTextLogin', protocolLog: { enabled: true, maxAgeDays: 30, maxTotalBytes: 0 }, connectionSettings: [conn('mail.example.org:143:')] }),
        proto('pop3', { loginType: 'PlainTextAuthentication', protocolLog: { enabled: true, maxAgeDays: 0, maxTotalBytes: 0 }, connectionSettings: [conn('mail.example.org:110:'), conn('other.example.org:995:SSL')] }),
        proto('smtp', { cleartextBindings: [loop(587)], loginType: 'PlainTextLogin', protocolLog: { enabled: true, maxAgeDays: 0, maxTotalBytes: 5 }, fqdn: 'smtp.example.org', certificateSetting: 'tls-certificate-name' }),
      ],
      certificates: [cert({ inUseBy: ['imap4', 'pop3', 'smtp'], selfSigned: false, keyType: 'RSA', keySize: 1024, signatureHash: 'SHA1', notAfter: new Date(NOW.getTime() - DAY) })],
      unreadableCertificates: ['broken.json'],
      tls: { minVersion: 'TLSv1', ciphers: ['RC4-MD5'] },
      paths: [{ path: '/srv/data', mode: 0o755 }, { path: '/srv/data/config.json', mode: 0o644 }],
      freeDiskBytes: 10 * 1024 ** 2, throttling: { allowList: ['0.0.0.0/0', '10.0.0.0/8'], maxDelayMs: 8000, ipBlockAfter: 10 }, lmtpHosts: ['0.0.0.0'],
      trustedProxies: ['0.0.0.0/0', '10.0.0.0/8'], adminBindings: [any4(8443)],
    }),
    input({
      services: on('imap4', 'pop3-backend', 'lmtp', 'admin'),
      protocols: [
        proto('imap4', { loginType: 'PlainTextLogin', cleartextBindings: [], protocolLog: { enabled: true, maxAgeDays: 30, maxTotalBytes: 1024 }, connectionSettings: [conn('mail.example.org:993:SSL')] }),
        proto('pop3', { loginType: 'PlainTextLogin', cleartextBindings: [loop(110)], sslBindings: [], certificateName: 'nothing.example.org', selectedCertificate: null }),
        proto('smtp', { sslBindings: [], cleartextBindings: [] }),
      ],
      certificates: [
        cert({ inUseBy: ['imap4'], selfSigned: false, keyType: 'RSA', keySize: 4096, signatureHash: 'unknown', notAfter: new Date(NOW.getTime() + 3 * DAY) }),
        cert({ name: 'old', inUseBy: [], notAfter: new Date(NOW.getTime() - DAY) }),
        cert({ name: 'soon', inUseBy: ['pop3'], notAfter: new Date(NOW.getTime() + 20 * DAY) }),
        cert({ name: 'later', inUseBy: ['pop3'], notAfter: new Date(NOW.getTime() + 45 * DAY) }),
      ],
      freeDiskBytes: 500 * 1024 ** 2, lmtpHosts: ['127.0.0.1'], trustedProxies: ['10.0.0.0/8'], adminBindings: [loop(8443)],
    }),
    input({
      services: on('imap4', 'imap4-backend'),
      protocols: [
        proto('imap4', { sslBindings: [], cleartextBindings: [], selectedCertificate: null }),
        proto('pop3', { selectedCertificate: null }),
        proto('smtp', { selectedCertificate: 'mail.example.org', certificateName: 'mail.example.org', fqdn: '' }),
      ],
      certificates: [cert({ subjectAltNames: ['other.example.org'], inUseBy: ['smtp'] })],
      freeDiskBytes: null,
    }),
    input({ protocols: [proto('imap4', { connectionSettings: [conn('imap.example.org:993:SSL')] })], certificates: [] }),
    input({ throttling: { allowList: ['10.0.0.0/8'], maxDelayMs: 0, ipBlockAfter: 1000 } }),
    input({ throttling: { allowList: ['10.0.0.0/8'], maxDelayMs: 8000, ipBlockAfter: 10 } }),
  ];
}

/** Findings whose detail is only data (addresses, entries): nothing to translate. */
const DATA_ONLY_DETAIL = [/^connection-settings\.[\w-]+:pass$/, /^net\.trusted-proxies:pass$/, /^listeners\.admin:warning$/];

/** Every id (literal, or the fixed prefix of a built one) the analyzer sources can emit. */
function idFamiliesInSource(): string[] {
  const dir = join(repoRoot(), 'src', 'observe');
  const families = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => /^analyzer.*\.ts$/.test(f) && !f.endsWith('.test.ts'))) {
    const src = readFileSync(join(dir, file), 'utf8');
    for (const m of src.matchAll(/\bid: '([a-z0-9.-]+)'/g)) families.add(m[1]);
    for (const m of src.matchAll(/\bid: `([a-z0-9.-]+?)\.?\$\{/g)) families.add(m[1]);
    for (const m of src.matchAll(/\bconst id = `([a-z0-9.-]+?)\.?\$\{/g)) families.add(m[1]);
    const prefix = /const id = \(what: string\): string => `([a-z0-9.-]+)\.\$\{what\}/.exec(src);
    if (prefix) for (const m of src.matchAll(/\bid\('([a-z0-9-]+)'\)/g)) families.add(`${prefix[1]}.${m[1]}`);
  }
  return [...families].sort();
}

let fx: AdminFixture;
before(async () => { fx = await startAdminFixture(); });
after(async () => { if (fx) await fx.close(); });

test('the scenarios reach every finding id the analyzer can emit', () => {
  const families = idFamiliesInSource();
  assert.ok(families.length >= 18, `found ids in the analyzer sources: ${families.join(' ')}`);
  const seen = scenarios().flatMap(analyze).map((f) => f.id);
  const unreached = families.filter((fam) => !seen.some((id) => id === fam || id.startsWith(fam + '.')));
  assert.deepEqual(unreached, [], 'add a scenario (and its texts to finding-texts.ts) for these ids');
});

test('every title and detail the analyzer produces has a French, German and Italian text', () => {
  const untranslated: string[] = [];
  const findings: Finding[] = scenarios().flatMap(analyze);
  for (const f of findings) {
    for (const lang of ['fr', 'de', 'it'] as const) {
      const title = findingTextOrNull(lang, f.title);
      if (title === null || title === f.title) untranslated.push(`${lang} ${f.id} title: ${f.title}`);
      if (!f.detail || DATA_ONLY_DETAIL.some((re) => re.test(`${f.id}:${f.severity}`))) continue;
      const detail = findingTextOrNull(lang, f.detail);
      if (detail === null || detail === f.detail) untranslated.push(`${lang} ${f.id} detail: ${f.detail}`);
    }
  }
  assert.deepEqual(untranslated, []);
  // Every template is used, so none is stale.
  const texts = findings.flatMap((f) => [f.title, f.detail]);
  const unused = FINDING_TEXTS.filter(([en]) => {
    const re = new RegExp(`^${en.split(/(\{\w+\})/).map((p) => (/^\{\w+\}$/.test(p) ? '.+?' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 's');
    return !texts.some((x) => re.test(x));
  }).map(([en]) => en);
  assert.deepEqual(unused, []);
});

test('templates carry the same parts in every language, and names and commands through unchanged', () => {
  const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const [en, ...others] of FINDING_TEXTS) {
    for (const other of others) assert.deepEqual(holes(other), holes(en), `${en} -> ${other}`);
  }
  const [, plain] = scenarios().map(analyze);
  const login = plain.find((f) => f.id === 'login-type.imap4')!;
  assert.equal(findingTextOrNull('fr', login.detail),
    "login-type vaut PlainTextLogin et 0.0.0.0:143 acceptent des connexions sans TLS : les mots de passe peuvent traverser le réseau en clair. Consultez 'portcullis logs insecure-logins --protocol imap4' pour voir les clients qui cesseraient de fonctionner.");
  const services = plain.find((f) => f.id === 'services.imap4')!;
  assert.equal(findingTextOrNull('de', services.title), 'imap4 und imap4-backend: aktiviert');
  const perms = plain.find((f) => f.id === 'data-dir.permissions')!;
  assert.equal(findingTextOrNull('it', perms.detail), '/srv/data: 755; /srv/data/config.json: 644. Contiene chiavi private, hash delle password e posta.');
});

test('the analyzer page in French shows translated findings with the fix command unchanged', async () => {
  const page = await request(`${fx.base}/console/analyzer`, { headers: { Cookie: `pc_token=${fx.readOnly}; pc_lang=fr` } });
  assert.equal(page.status, 200);
  assert.match(page.text, /Le certificat « mail\.example\.test » est auto-signé \(utilisé par /);
  assert.match(page.text, /Les clients ne peuvent pas le vérifier/);
  assert.match(page.text, /<code>portcullis cert import --cert CHAIN\.pem --key KEY\.pem --name mail\.example\.test<\/code>/);
  assert.doesNotMatch(page.text, /is self-signed/);
});

test('login-failure reasons are shown in words in every language; an unknown key is shown as it is', () => {
  const reasons = { policy: 1, credentials: 1, disabled: 1, throttled: 1, authz: 1, unavailable: 1 } satisfies Record<AuthFailureReason, number>;
  for (const key of [...Object.keys(reasons), 'unknown']) assert.ok(isStringKey(`reason_${key}`), `no console text for reason ${key}`);
  const row = { lastSeen: '2024-06-01T00:00:00Z', firstSeen: '2024-06-01T00:00:00Z', count: 3, protocol: 'imap4' as const, clientAddress: '192.0.2.1', user: 'a@example.org', reasons: { credentials: 2, 'new-reason': 1 } };
  const html = loginsPage({ lang: 'de', path: '/console/logins', identity: null, csrf: '' }, [], [row]);
  assert.match(html, new RegExp(`<span data-reason="credentials">${t('de', 'reason_credentials')}: 2</span>, <span data-reason="new-reason">new-reason: 1</span>`));
});
