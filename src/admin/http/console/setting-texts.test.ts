import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS_SECTIONS, allowedText, type SettingDef } from '../../../config/schema.js';
import { request, startAdminFixture, type AdminFixture } from '../test-support.js';
import { HINTS, SETTING_DESCRIPTIONS, allowedIn, missingSettingTexts, settingDescription } from './setting-texts.js';
import { settingsPage } from './pages.js';

let fx: AdminFixture;
before(async () => { fx = await startAdminFixture(); });
after(async () => { if (fx) await fx.close(); });

test('every setting of every section has its description, hint and unit in French, German and Italian', () => {
  const missing = missingSettingTexts();
  assert.deepEqual(missing, [], `missing console translations (add them to src/admin/http/console/setting-texts.ts):\n${missing.join('\n')}`);
});

test('no translation is left for a setting the schema no longer has', () => {
  const stale = Object.entries(SETTING_DESCRIPTIONS).flatMap(([section, texts]) => Object.keys(texts)
    .filter((name) => !(SETTINGS_SECTIONS[section as keyof typeof SETTINGS_SECTIONS] as readonly SettingDef[] | undefined)?.some((d) => d.name === name))
    .map((name) => `${section}.${name}`));
  assert.deepEqual(stale, []);
});

test('descriptions are translations, not copies of the English', () => {
  // (A setting with no entry at all is reported by the completeness test above.)
  for (const [section, defs] of Object.entries(SETTINGS_SECTIONS)) {
    for (const def of (defs as readonly SettingDef[]).filter((d) => SETTING_DESCRIPTIONS[section]?.[d.name])) {
      for (const lang of ['fr', 'de', 'it'] as const) {
        assert.notEqual(settingDescription(lang, section, def), def.description, `${lang} ${section}.${def.name}`);
      }
    }
  }
  for (const [hint, tr] of Object.entries(HINTS)) assert.ok(tr.fr !== hint && tr.de !== hint && tr.it !== hint, `hint "${hint}" is translated`);
});

test('allowed text: English is the schema\'s, units and hints are translated, enum values are kept', () => {
  const imap = SETTINGS_SECTIONS.imap as readonly SettingDef[];
  const def = (name: string) => imap.find((d) => d.name === name)!;
  for (const d of imap) assert.equal(allowedIn('en', d), allowedText(d));
  assert.equal(allowedIn('fr', def('authenticated-connection-timeout')), '30..86400 secondes');
  assert.equal(allowedIn('de', def('protocol-log-enabled')), 'wahr | falsch');
  assert.equal(allowedIn('it', def('log-file-location')), 'un percorso assoluto, o vuoto');
  assert.equal(allowedIn('fr', def('login-type')), allowedText(def('login-type')));
});

test('a setting without a translation (e.g. one added on another branch) is shown in English', () => {
  const added: SettingDef = { name: 'argon2-example', exchange: null, type: { kind: 'string', hint: 'a brand-new hint' }, default: '', apply: 'live', description: 'A setting added after the translations.' };
  assert.equal(settingDescription('fr', 'auth', added), 'A setting added after the translations.');
  assert.equal(allowedIn('de', added), 'a brand-new hint');
  const html = settingsPage({ lang: 'fr', path: '/console/settings/auth', identity: null, csrf: '' }, 'auth', ['auth'], [added],
    [{ name: 'argon2-example', value: '', default: '', changed: false, allowed: 'a brand-new hint', apply: 'live', exchange: null, description: added.description }], null, {});
  assert.match(html, /A setting added after the translations\./);
  assert.match(html, /Valeurs permises : a brand-new hint/);
});

test('the settings page, after choosing French, shows French descriptions and allowed text', async () => {
  const chosen = await request(`${fx.base}/console/lang?lang=fr&next=/console/settings/imap`);
  assert.equal(chosen.status, 303);
  const langCookie = String(chosen.headers['set-cookie']).split(';')[0];
  assert.equal(langCookie, 'pc_lang=fr');
  const page = await request(`${fx.base}${chosen.headers.location}`, { headers: { Cookie: `pc_token=${fx.readWrite}; ${langCookie}` } });
  assert.equal(page.status, 200);
  assert.match(page.text, /<html lang="fr">/);
  assert.match(page.text, /Adresses et ports avec TLS implicite\./);
  assert.match(page.text, /30\.\.86400 secondes/);
  assert.doesNotMatch(page.text, /Addresses and ports with implicit TLS\./);
  const german = await request(`${fx.base}/console/settings/directory`, { headers: { Cookie: `pc_token=${fx.readWrite}`, 'Accept-Language': 'de-CH, en;q=0.5' } });
  assert.match(german.text, /Wo Benutzer gesucht werden\./);
});
