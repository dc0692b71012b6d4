import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, worstSeverity, isLoopback, type AnalyzerInput, type CertificateFacts, type Finding, type ProtocolFacts } from './analyzer.js';
import { defaultConfig } from '../config/config.js';
import { TLS12_CIPHERS, TLS13_CIPHERSUITES } from '../tls/policy.js';

const NOW = new Date('2024-06-01T00:00:00Z');
const DAY = 86_400_000;
const any4 = (port: number) => ({ host: '0.0.0.0', port });
const any6 = (port: number) => ({ host: '::', port });

function proto(protocol: 'imap4' | 'pop3', over: Partial<ProtocolFacts> = {}): ProtocolFacts {
  const imap = protocol === 'imap4';
  return {
    protocol, section: imap ? 'imap' : 'pop', frontend: protocol, backend: imap ? 'imap4-backend' : 'pop3-backend',
    loginType: 'SecureLogin', sslBindings: [any4(imap ? 993 : 995), any6(imap ? 993 : 995)],
    cleartextBindings: [any4(imap ? 143 : 110), any6(imap ? 143 : 110)],
    certificateSetting: 'x509-certificate-name', certificateName: '', selectedCertificate: 'mail.example.org',
    protocolLog: { enabled: false, maxAgeDays: 30, maxTotalBytes: 1024 ** 3 }, ...over,
  };
}

function cert(over: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    name: 'mail.example.org', subjectAltNames: ['mail.example.org', 'localhost', '127.0.0.1'], notAfter: new Date(NOW.getTime() + 365 * DAY),
    selfSigned: true, keyType: 'ECDSA P-256', keySize: 256, signatureHash: 'SHA-256', inUseBy: ['imap4', 'pop3'], ...over,
  };
}

/** What `portcullis init --hostname mail.example.org` leaves behind. */
function freshInit(): AnalyzerInput {
  return {
    hostname: 'mail.example.org', services: defaultConfig('mail.example.org').services,
    protocols: [proto('imap4'), proto('pop3')], certificates: [cert()],
    tls: { minVersion: 'TLSv1.2', ciphers: [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS] },
    paths: [{ path: '/srv/data', mode: 0o700 }, { path: '/srv/data/certs/mail.example.org.json', mode: 0o600 }],
    dataDir: '/srv/data', freeDiskBytes: 50 * 1024 ** 3, throttling: { allowList: [], maxDelayMs: 8000, ipBlockAfter: 10 }, lmtpHosts: ['127.0.0.1'], adminBindings: null, now: NOW,
  };
}

function find(findings: Finding[], id: string): Finding {
  const f = findings.find((x) => x.id === id);
  assert.ok(f, `no finding ${id} in ${findings.map((x) => x.id).join(' ')}`);
  return f;
}

test('fresh init: warnings (self-signed certificate), no fails', () => {
  const findings = analyze(freshInit());
  assert.equal(worstSeverity(findings), 'warning');
  assert.deepEqual(findings.filter((f) => f.severity === 'fail'), []);
  const selfSigned = find(findings, 'certificate.self-signed.mail.example.org');
  assert.equal(selfSigned.severity, 'warning');
  assert.match(selfSigned.fix ?? '', /^portcullis cert import --cert CHAIN\.pem --key KEY\.pem/);
  assert.equal(find(findings, 'login-type.imap4').severity, 'pass');
  assert.equal(find(findings, 'services.none').severity, 'info');
  const ids = findings.map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const f of findings) {
    assert.ok(['pass', 'info', 'warning', 'fail'].includes(f.severity));
    if (f.severity === 'warning' || f.severity === 'fail') assert.ok(f.fix === null || f.fix.length > 0);
  }
});

test('good setup: CA certificate, SecureLogin, paired services, limits: nothing at warning or worse', () => {
  const input = freshInit();
  input.certificates = [cert({ selfSigned: false, subjectAltNames: ['mail.example.org'] })];
  input.services = { ...input.services, imap4: 'Automatic', 'imap4-backend': 'Automatic' };
  input.protocols = [proto('imap4', { cleartextBindings: [], protocolLog: { enabled: true, maxAgeDays: 30, maxTotalBytes: 1024 ** 3 } }), proto('pop3', { cleartextBindings: [] })];
  const findings = analyze(input);
  assert.deepEqual(findings.filter((f) => f.severity === 'warning' || f.severity === 'fail'), []);
  assert.equal(worstSeverity(findings), 'info'); // pop3 disabled: info
  assert.equal(find(findings, 'services.imap4').severity, 'pass');
  assert.equal(find(findings, 'protocol-log.imap4').severity, 'pass');
});

test('insecure setup: every problem is a fail with the command that fixes it', () => {
  const input = freshInit();
  input.protocols = [
    proto('imap4', { loginType: 'PlainTextLogin', certificateName: 'imap.example.org', selectedCertificate: null, protocolLog: { enabled: true, maxAgeDays: 0, maxTotalBytes: 0 } }),
    proto('pop3', { loginType: 'PlainTextLogin', cleartextBindings: [{ host: '127.0.0.1', port: 110 }], sslBindings: [] }),
  ];
  input.certificates = [cert({ name: 'old', selfSigned: false, keyType: 'RSA', keySize: 1024, signatureHash: 'SHA-1', notAfter: new Date(NOW.getTime() - DAY), inUseBy: ['pop3'] })];
  input.protocols[1].selectedCertificate = 'old';
  input.paths = [{ path: '/srv/data', mode: 0o755 }];
  input.freeDiskBytes = 50 * 1024 ** 2;
  input.lmtpHosts = ['0.0.0.0'];
  input.services = { ...input.services, lmtp: 'Automatic', imap4: 'Automatic' };
  const findings = analyze(input);
  assert.equal(worstSeverity(findings), 'fail');
  const expectFail = (id: string, fix: RegExp | null): void => {
    const f = find(findings, id);
    assert.equal(f.severity, 'fail', `${id}: ${f.title}`);
    if (fix) assert.match(f.fix ?? '', fix, id);
  };
  expectFail('login-type.imap4', /^portcullis imap set --login-type SecureLogin$/);
  expectFail('listeners.imap4', /^portcullis imap set --unencrypted-or-tls-bindings ""$/);
  expectFail('certificate.name.imap4', /^portcullis cert import .*imap\.example\.org/);
  expectFail('certificate.expiry.old', /^portcullis cert import/);
  expectFail('certificate.key.old', null);
  expectFail('certificate.signature.old', null);
  expectFail('data-dir.permissions', /^chmod -R go-rwx \/srv\/data$/);
  expectFail('disk.free', null);
  expectFail('listeners.lmtp', /^portcullis lmtp set --bindings 127\.0\.0\.1:24$/);
  // Loopback-only cleartext with PlainTextLogin: a fail too (loopback is not exempt).
  expectFail('login-type.pop3', /^portcullis pop set --login-type SecureLogin$/);
  assert.match(find(findings, 'login-type.pop3').detail, /127\.0\.0\.1:110 .*loopback is not exempt/);
  assert.equal(find(findings, 'listeners.pop3').severity, 'pass');
  assert.equal(find(findings, 'protocol-log.imap4').severity, 'warning');
  assert.match(find(findings, 'protocol-log.imap4').fix ?? '', /^portcullis imap set --protocol-log-max-directory-size \d+$/);
  assert.equal(find(findings, 'services.imap4').severity, 'warning');
  assert.equal(find(findings, 'services.imap4').fix, 'portcullis service enable imap4-backend');
});

test('login type: PlainTextLogin without a cleartext binding is a warning; PlainTextAuthentication is info', () => {
  const input = freshInit();
  input.protocols = [proto('imap4', { loginType: 'PlainTextLogin', cleartextBindings: [] }), proto('pop3', { loginType: 'PlainTextAuthentication' })];
  const findings = analyze(input);
  assert.equal(find(findings, 'login-type.imap4').severity, 'warning');
  assert.equal(find(findings, 'login-type.pop3').severity, 'info');
  assert.equal(find(findings, 'listeners.pop3').severity, 'info');
});

test('certificate expiry thresholds: 60/30 days warning, 7 days and expired fail', () => {
  const at = (days: number): Finding['severity'] => {
    const input = freshInit();
    input.certificates = [cert({ selfSigned: false, notAfter: new Date(NOW.getTime() + days * DAY) })];
    return find(analyze(input), 'certificate.expiry.mail.example.org').severity;
  };
  assert.equal(at(90), 'pass');
  assert.equal(at(59), 'warning');
  assert.equal(at(29), 'warning');
  assert.equal(at(6), 'fail');
  assert.equal(at(-1), 'fail');
});

test('certificate that does not name the host is a warning; an unused expired one only info; none at all fails', () => {
  const input = freshInit();
  input.certificates = [cert({ subjectAltNames: ['other.example.net'], selfSigned: false }), cert({ name: 'stale', inUseBy: [], notAfter: new Date(NOW.getTime() - DAY) })];
  const findings = analyze(input);
  assert.equal(find(findings, 'certificate.name.imap4').severity, 'warning');
  assert.equal(find(findings, 'certificate.expiry.stale').severity, 'info');
  assert.equal(find(findings, 'certificate.expiry.stale').fix, 'portcullis cert remove stale');

  const none = freshInit();
  none.certificates = [];
  none.protocols = none.protocols.map((p) => ({ ...p, selectedCertificate: null }));
  const f = analyze(none);
  assert.equal(find(f, 'certificate.present').severity, 'fail');
  assert.equal(find(f, 'certificate.present').fix, 'portcullis cert new-self-signed --hostname mail.example.org');
});

test('TLS policy: old versions and weak suites fail; low disk warns; enabled service without bindings warns', () => {
  const input = freshInit();
  input.tls = { minVersion: 'TLSv1', ciphers: ['ECDHE-RSA-AES128-GCM-SHA256', 'AES128-SHA', 'ECDHE-RSA-DES-CBC3-SHA'] };
  input.freeDiskBytes = 500 * 1024 ** 2;
  input.services = { ...input.services, pop3: 'Automatic', 'pop3-backend': 'Automatic' };
  input.protocols[1] = proto('pop3', { sslBindings: [], cleartextBindings: [] });
  const findings = analyze(input);
  assert.equal(find(findings, 'tls.versions').severity, 'fail');
  const ciphers = find(findings, 'tls.ciphers');
  assert.equal(ciphers.severity, 'fail');
  assert.match(ciphers.detail, /AES128-SHA, ECDHE-RSA-DES-CBC3-SHA/);
  assert.doesNotMatch(ciphers.detail, /AES128-GCM/);
  assert.equal(find(findings, 'disk.free').severity, 'warning');
  assert.equal(find(findings, 'listeners.pop3').severity, 'warning');
});

test('isLoopback', () => {
  for (const h of ['127.0.0.1', '127.0.0.3', '::1', '[::1]', 'localhost']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.0.2.1', 'mail.example.org', '128.0.0.1']) assert.equal(isLoopback(h), false, h);
});

test('a certificate selected by its stored name is checked against the configured hostname', () => {
  const input = freshInit();
  const ca = cert({ name: 'corp-ca-2024', subjectAltNames: ['mail.example.org'], selfSigned: false, inUseBy: ['imap4'] });
  input.certificates = [ca];
  input.protocols = [proto('imap4', { certificateName: 'corp-ca-2024', selectedCertificate: 'corp-ca-2024' })];
  assert.equal(find(analyze(input), 'certificate.name.imap4').severity, 'pass');
  input.certificates = [{ ...ca, subjectAltNames: ['other.example.net'] }];
  const wrong = find(analyze(input), 'certificate.name.imap4');
  assert.equal(wrong.severity, 'warning');
  assert.match(wrong.title, /does not name mail\.example\.org/);
});

test('submission: a certificate that does not name the fqdn (EHLO name) is a warning with the fix', () => {
  const smtp: ProtocolFacts = {
    ...proto('imap4'), protocol: 'smtp', section: 'smtp', frontend: 'submission', backend: null,
    certificateSetting: 'tls-certificate-name', sslBindings: [any4(465)], cleartextBindings: [any4(587)], protocolLog: null,
    fqdn: 'smtp.other.example',
  };
  const bad = find(analyze({ ...freshInit(), protocols: [smtp] }), 'certificate.name.smtp');
  assert.equal(bad.severity, 'warning');
  assert.match(bad.title, /does not name the fqdn smtp\.other\.example/);
  assert.match(bad.fix ?? '', /portcullis smtp set --fqdn mail\.example\.org/);
  const good = find(analyze({ ...freshInit(), protocols: [{ ...smtp, fqdn: 'mail.example.org' }] }), 'certificate.name.smtp');
  assert.equal(good.severity, 'pass');
});

test('trusted-proxies: a whole-internet network is a fail with the fix; listed balancers pass; empty says nothing', () => {
  const check = (trustedProxies: string[]) => analyze({ ...freshInit(), trustedProxies }).find((f) => f.id === 'net.trusted-proxies');
  assert.equal(check([]), undefined);
  assert.equal(check(['10.0.0.5/32', '2001:db8::/64'])?.severity, 'pass');
  const open = check(['10.0.0.5/32', '0.0.0.0/0']);
  assert.equal(open?.severity, 'fail');
  assert.equal(open?.fix, 'portcullis server set --trusted-proxies 10.0.0.5/32');
  assert.equal(check(['::/0'])?.fix, "portcullis server set --trusted-proxies ''");
});

test('brute-force protection: a whole-internet allow-list fails with the fix; a weakened throttle warns', () => {
  const check = (throttling: AnalyzerInput['throttling']) => find(analyze({ ...freshInit(), throttling }), 'auth.throttling');
  assert.equal(check({ allowList: [], maxDelayMs: 8000, ipBlockAfter: 10 }).severity, 'pass');
  assert.equal(check({ allowList: ['10.0.0.0/8'], maxDelayMs: 8000, ipBlockAfter: 10 }).severity, 'pass');
  const open = check({ allowList: ['10.0.0.0/8', '0.0.0.0/0'], maxDelayMs: 8000, ipBlockAfter: 10 });
  assert.equal(open.severity, 'fail');
  assert.equal(open.fix, 'portcullis auth set --allow-list 10.0.0.0/8');
  assert.equal(check({ allowList: ['::/0'], maxDelayMs: 8000, ipBlockAfter: 10 }).fix, "portcullis auth set --allow-list ''");
  const weak = check({ allowList: [], maxDelayMs: 0, ipBlockAfter: 10_000 });
  assert.equal(weak.severity, 'warning');
  assert.equal(weak.fix, 'portcullis auth set --max-delay-ms 8000 --ip-block-after 10');
});

test('admin API: off loopback warns with the fix; loopback passes; a disabled admin service says nothing', () => {
  const check = (adminBindings: AnalyzerInput['adminBindings'], admin: 'Automatic' | 'Disabled' = 'Automatic') =>
    analyze({ ...freshInit(), services: { ...freshInit().services, admin }, adminBindings }).find((f) => f.id === 'listeners.admin');
  const open = check([{ host: '127.0.0.1', port: 8443 }, { host: '0.0.0.0', port: 9443 }]);
  assert.equal(open?.severity, 'warning');
  assert.match(open?.detail ?? '', /0\.0\.0\.0:9443/);
  assert.equal(open?.fix, 'portcullis admin set --bindings 127.0.0.1:9443');
  assert.equal(check([{ host: '127.0.0.1', port: 8443 }])?.severity, 'pass');
  assert.equal(check([{ host: '0.0.0.0', port: 8443 }], 'Disabled'), undefined);
});

/** Warnings and fails that no command can fix: free disk space, and the built-in cipher suites. */
const NO_FIX_POSSIBLE = ['disk.free', 'tls.ciphers'];

test('every warning and fail names the command that fixes it (except where none exists)', () => {
  const input = freshInit();
  input.services = { ...input.services, imap4: 'Automatic', pop3: 'Automatic', lmtp: 'Automatic', admin: 'Automatic' };
  input.protocols = [
    proto('imap4', { loginType: 'PlainTextLogin', certificateName: 'imap.example.org', selectedCertificate: null, protocolLog: { enabled: true, maxAgeDays: 0, maxTotalBytes: 0 },
      connectionSettings: [{ setting: 'external-connection-settings', entry: 'mail.example.org:143:', host: 'mail.example.org', port: 143, encryption: '' }] }),
    proto('pop3', { sslBindings: [], cleartextBindings: [] }),
    { ...proto('imap4'), protocol: 'smtp', section: 'smtp', frontend: 'submission', backend: null, certificateSetting: 'tls-certificate-name', selectedCertificate: 'self', protocolLog: null, fqdn: 'smtp.other.example' },
  ];
  input.certificates = [
    cert({ name: 'old', selfSigned: false, keyType: 'RSA', keySize: 1024, signatureHash: 'SHA-1', notAfter: new Date(NOW.getTime() + 3 * DAY), inUseBy: ['imap4'] }),
    cert({ name: 'self', notAfter: new Date(NOW.getTime() + 20 * DAY), keyType: 'RSA', keySize: 1024 }),
  ];
  input.unreadableCertificates = ['broken.json'];
  input.tls = { minVersion: 'TLSv1', ciphers: ['AES128-SHA'] };
  input.paths = [{ path: '/srv/data', mode: 0o755 }];
  input.freeDiskBytes = 10 * 1024 ** 2;
  input.lmtpHosts = ['0.0.0.0'];
  input.adminBindings = [{ host: '0.0.0.0', port: 8443 }];
  input.trustedProxies = ['0.0.0.0/0'];
  input.throttling = { allowList: ['::/0'], maxDelayMs: 8000, ipBlockAfter: 10 };
  const bad = analyze(input).filter((f) => f.severity === 'warning' || f.severity === 'fail');
  const ids = bad.map((f) => f.id);
  for (const id of ['login-type.imap4', 'listeners.imap4', 'listeners.pop3', 'connection-settings.imap4', 'certificate.name.imap4', 'services.imap4', 'certificate.expiry.old', 'certificate.key.old', 'certificate.signature.old',
    'certificate.self-signed.self', 'certificate.unreadable.broken.json', 'certificate.name.smtp', 'tls.versions', 'tls.ciphers', 'protocol-log.imap4',
    'auth.throttling', 'listeners.lmtp', 'net.trusted-proxies', 'listeners.admin', 'data-dir.permissions', 'disk.free']) {
    assert.ok(ids.includes(id), `${id} among ${ids.join(' ')}`);
  }
  for (const f of bad) {
    if (NO_FIX_POSSIBLE.includes(f.id)) assert.equal(f.fix, null, f.id);
    else assert.match(f.fix ?? '', /^(portcullis |chmod )/, `${f.id} (${f.severity}) has no fix`);
  }
});
