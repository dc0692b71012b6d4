/**
 * The analyzer and the connection settings: their host names are what the certificate must
 * name, and an entry without encryption is flagged as insecure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, type AnalyzerInput, type Finding, type ProtocolFacts } from './analyzer.js';
import { connectionSettingFacts } from './analyzer-gather.js';
import { defaultConfig } from '../config/config.js';

const NOW = new Date('2024-06-01T00:00:00Z');

function imap(entries: string[], over: Partial<ProtocolFacts> = {}): ProtocolFacts {
  return {
    protocol: 'imap4', section: 'imap', frontend: 'imap4', backend: 'imap4-backend', loginType: 'SecureLogin',
    sslBindings: [{ host: '0.0.0.0', port: 993 }], cleartextBindings: [{ host: '0.0.0.0', port: 143 }],
    certificateSetting: 'x509-certificate-name', certificateName: '', selectedCertificate: 'mail.example.org', protocolLog: null,
    connectionSettings: connectionSettingFacts({ internalConnectionSettings: entries, externalConnectionSettings: [] }), ...over,
  };
}

function input(p: ProtocolFacts): AnalyzerInput {
  return {
    hostname: 'mail.example.org', services: defaultConfig('mail.example.org').services, protocols: [p],
    certificates: [{ name: 'mail.example.org', subjectAltNames: ['mail.example.org', 'localhost'], notAfter: new Date(NOW.getTime() + 400 * 86_400_000), selfSigned: false, keyType: 'ECDSA P-256', keySize: 256, signatureHash: 'SHA-256', inUseBy: ['imap4'] }],
    tls: { minVersion: 'TLSv1.2', ciphers: [] }, paths: [], dataDir: '/srv/data', freeDiskBytes: null, now: NOW,
  };
}

const find = (fs: Finding[], id: string): Finding | undefined => fs.find((f) => f.id === id);

test('connection settings are parsed, IPv6 hosts included', () => {
  assert.deepEqual(connectionSettingFacts({ internalConnectionSettings: ['mail.example.org:993:SSL', '[2001:db8::1]:143:'], externalConnectionSettings: ['imap.example.com:143:tls'] }), [
    { setting: 'internal-connection-settings', entry: 'mail.example.org:993:SSL', host: 'mail.example.org', port: 993, encryption: 'SSL' },
    { setting: 'internal-connection-settings', entry: '[2001:db8::1]:143:', host: '2001:db8::1', port: 143, encryption: '' },
    { setting: 'external-connection-settings', entry: 'imap.example.com:143:tls', host: 'imap.example.com', port: 143, encryption: 'TLS' },
  ]);
});

test('the certificate must name every host of the connection settings', () => {
  const good = analyze(input(imap(['mail.example.org:993:SSL'])));
  assert.equal(find(good, 'certificate.name.imap4')?.severity, 'pass');
  assert.equal(find(good, 'connection-settings.imap4')?.severity, 'pass');
  const bad = find(analyze(input(imap(['mail.example.org:993:SSL', 'imap.example.com:993:SSL']))), 'certificate.name.imap4');
  assert.equal(bad?.severity, 'warning');
  assert.match(bad?.title ?? '', /does not name imap\.example\.com from the connection settings/);
  assert.match(bad?.fix ?? '', /^portcullis cert import .*--name imap\.example\.com$/);
});

test('without connection settings, nothing about them is reported', () => {
  assert.equal(find(analyze(input(imap([]))), 'connection-settings.imap4'), undefined);
});

test('an entry without encryption is insecure: warning, or fail under PlainTextLogin, with the fix', () => {
  const warn = find(analyze(input(imap(['mail.example.org:993:SSL', 'mail.example.org:143:']))), 'connection-settings.imap4');
  assert.equal(warn?.severity, 'warning');
  assert.match(warn?.detail ?? '', /internal-connection-settings mail\.example\.org:143:/);
  assert.equal(warn?.fix, 'portcullis imap set --internal-connection-settings mail.example.org:993:SSL,mail.example.org:143:TLS');
  const fail = find(analyze(input(imap(['mail.example.org:143:'], { loginType: 'PlainTextLogin' }))), 'connection-settings.imap4');
  assert.equal(fail?.severity, 'fail');
  assert.match(fail?.detail ?? '', /passwords in the clear/);
});
