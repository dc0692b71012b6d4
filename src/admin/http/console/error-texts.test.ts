import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, checkBindingConflicts, defaultConfig, validateSetting } from '../../../config/config.js';
import { SETTINGS_SECTIONS, type SettingDef } from '../../../config/schema.js';
import { request, startAdminFixture, type AdminFixture } from '../test-support.js';
import { translateError } from './error-texts.js';

let fx: AdminFixture;
before(async () => { fx = await startAdminFixture(); });
after(async () => { if (fx) await fx.close(); });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('no refusal');
}

const def = (section: keyof typeof SETTINGS_SECTIONS, name: string): SettingDef => (SETTINGS_SECTIONS[section] as readonly SettingDef[]).find((d) => d.name === name)!;

/** One real refusal of each kind the validator produces. */
function refusals(): string[] {
  const conflict = defaultConfig('mail.example.org');
  conflict.pop['ssl-bindings'] = ['0.0.0.0:993'];
  const connection = defaultConfig('mail.example.org');
  connection.imap['internal-connection-settings'] = ['mail.example.org:995:SSL'];
  const emptyKind = defaultConfig('mail.example.org');
  emptyKind.imap['unencrypted-or-tls-bindings'] = [];
  emptyKind.imap['external-connection-settings'] = ['mail.example.org:143:'];
  return [
    refusal(() => validateSetting(def('imap', 'max-connections'), 'abc')),
    refusal(() => validateSetting(def('imap', 'authenticated-connection-timeout'), '5')),
    refusal(() => validateSetting(def('imap', 'protocol-log-enabled'), 'maybe')),
    refusal(() => validateSetting(def('pop', 'message-retrieval-sort-order'), 'Random')),
    refusal(() => validateSetting(def('imap', 'banner'), 'caf\u00e9')),
    refusal(() => validateSetting(def('imap', 'ssl-bindings'), 'nope')),
    refusal(() => validateSetting(def('imap', 'ssl-bindings'), '0.0.0.0:993,0.0.0.0:993')),
    refusal(() => validateSetting(def('server', 'trusted-proxies'), 'everyone')),
    refusal(() => checkBindingConflicts(conflict)),
    refusal(() => checkBindingConflicts(connection)),
    refusal(() => checkBindingConflicts(emptyKind)),
  ];
}

test('every kind of refusal is translated into French, German and Italian; English is unchanged', () => {
  for (const message of refusals()) {
    assert.equal(translateError('en', message), message);
    for (const lang of ['fr', 'de', 'it'] as const) {
      const out = translateError(lang, message);
      assert.notEqual(out, message, `${lang}: not translated: ${message}`);
      assert.ok(out.startsWith(message.split(':')[0]), `${lang}: keeps the setting name: ${out}`);
      assert.doesNotMatch(out, /allowed|is not|undefined/, `${lang}: ${out}`);
    }
  }
  assert.equal(
    translateError('fr', refusals()[1]),
    'authenticated-connection-timeout : « 5 » n\'est pas permis (valeurs permises : un nombre entier de 30 à 86400 secondes)',
  );
  assert.match(translateError('de', refusals()[10]), /keiner: imap unencrypted-or-tls-bindings ist leer/);
  assert.equal(translateError('it', 'something new: unknown text'), 'something new: unknown text');
});

test('the console shows the refusal next to the field in French', async () => {
  const cookie = `pc_token=${fx.readWrite}; pc_lang=fr`;
  const form = await request(`${fx.base}/console/settings/imap`, { headers: { Cookie: cookie } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1];
  const body = new URLSearchParams({ csrf, 'max-connections': 'beaucoup' }).toString();
  const reply = await request(`${fx.base}/console/settings/imap`, {
    method: 'POST', body, headers: { Cookie: cookie, Origin: fx.base, 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(reply.status, 400);
  const error = /<p class="error" id="f-max-connections-error"[^>]*>([^<]*)<\/p>/.exec(reply.text);
  assert.ok(error, 'the field has an error paragraph');
  assert.equal(error[1], 'max-connections : « beaucoup » n&#39;est pas permis (valeurs permises : un nombre entier de 1 à 1000000)');
});
