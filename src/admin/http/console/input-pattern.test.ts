import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { validateSetting } from '../../../config/config.js';
import { SETTINGS_SECTIONS, type SettingDef } from '../../../config/schema.js';
import { request, startAdminFixture, type AdminFixture } from '../test-support.js';
import { htmlPattern, inputPattern } from './input-pattern.js';
import { displayValue } from './pages.js';

let fx: AdminFixture;
before(async () => { fx = await startAdminFixture(); });
after(async () => { if (fx) await fx.close(); });

/** What a browser does with a pattern attribute. */
const browser = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`, 'v');

const SAMPLES = [
  '', 'abc', 'mail.example.org', '*.example.org', '/var/log/portcullis', 'relative/path', '127.0.0.1:993', '[::1]:993, 0.0.0.0:143', ' 0.0.0.0:993 ,, [::]:993 ',
  'host:99999', 'nope', 'Grüße', 'Portcullis ready', 'mail.example.org:993:SSL', 'mail.example.org:143:tls', 'mail.example.org:143:', 'mail.example.org:993:SSLX',
  '10.0.0.0/8, 2001:db8::/32', 'everyone', 'be1.example.org,10.0.0.7:1993', 'unix:/run/portcullis/lmtp', 'uid={user}', 'ldap://dc.example.org:389', 'mail', '9bad', 'www-data', 'Root',
];

const defs = (): Array<[string, SettingDef]> => Object.entries(SETTINGS_SECTIONS).flatMap(([s, list]) => (list as readonly SettingDef[]).map((d): [string, SettingDef] => [s, d]));

test('every text, binding and list pattern is a valid browser pattern that accepts the default', () => {
  let withPattern = 0;
  for (const [section, def] of defs()) {
    const { pattern } = inputPattern(def.type);
    if (pattern === null) continue;
    withPattern++;
    const re = browser(pattern);
    assert.ok(re.test(displayValue(def.default)), `${section}.${def.name}: default "${displayValue(def.default)}" refused by ${pattern}`);
  }
  assert.ok(withPattern >= 30, `${withPattern} fields have a pattern`);
});

test('the browser never refuses what the server accepts, and refuses the obvious mistakes', () => {
  for (const [section, def] of defs()) {
    const { pattern, required } = inputPattern(def.type);
    for (const sample of SAMPLES) {
      const browserRefuses = (pattern !== null && !browser(pattern).test(sample)) || (required && sample === '');
      if (!browserRefuses) continue;
      assert.throws(() => validateSetting(def, sample), `${section}.${def.name}: the browser refuses "${sample}", the server accepts it`);
    }
  }
  const imap = SETTINGS_SECTIONS.imap as readonly SettingDef[];
  const patternOf = (name: string) => browser(inputPattern(imap.find((d) => d.name === name)!.type).pattern!);
  assert.equal(patternOf('ssl-bindings').test('nope'), false);
  assert.equal(patternOf('ssl-bindings').test('[::]:993,0.0.0.0:993'), true);
  assert.equal(patternOf('internal-connection-settings').test('mail.example.org:143:tls'), true, 'case-insensitive like the server');
  assert.equal(patternOf('internal-connection-settings').test('mail.example.org:143:STARTTLS'), false);
  assert.equal(patternOf('banner').test('Grüße'), false);
});

test('regular expressions are rewritten for the v flag and case-insensitivity', () => {
  assert.equal(htmlPattern(/^[A-Za-z0-9.-]+$/), '^[A-Za-z0-9.\\-]+$');
  assert.equal(htmlPattern(/^(SSL|TLS)?$/i), '^([sS][sS][lL]|[tT][lL][sS])?$');
  assert.equal(htmlPattern(/^[a-f]$/i), '^[a-fA-F]$');
  assert.equal(htmlPattern(/x/m), null);
});

test('the settings page carries the pattern, required and translated hint for the browser', async () => {
  const page = await request(`${fx.base}/console/settings/imap`, { headers: { Cookie: `pc_token=${fx.readWrite}; pc_lang=it` } });
  assert.equal(page.status, 200);
  const input = /<input type="text"[^>]*id="f-ssl-bindings"[^>]*>/.exec(page.text);
  assert.ok(input, 'ssl-bindings has a text input');
  const attr = (name: string) => new RegExp(` ${name}="([^"]*)"`).exec(input[0])?.[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const pattern = attr('pattern');
  assert.ok(pattern, 'ssl-bindings has a pattern');
  assert.equal(browser(pattern).test('0.0.0.0:993,[::]:993'), true);
  assert.equal(browser(pattern).test('0.0.0.0'), false);
  assert.equal(attr('title'), 'host:port,[v6]:port,... (può essere vuoto)');
  const address = /<input type="text"[^>]*id="f-x509-certificate-name"[^>]*>/.exec(page.text)![0];
  assert.match(address, / pattern="[^"]+"/);
  assert.doesNotMatch(address, / required/, 'may be empty');
  const directory = await request(`${fx.base}/console/settings/directory`, { headers: { Cookie: `pc_token=${fx.readWrite}` } });
  assert.match(/<input type="text"[^>]*id="f-address-attribute"[^>]*>/.exec(directory.text)![0], / required /);
});
