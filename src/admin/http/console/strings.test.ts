import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LANGUAGES, STRINGS, pickLanguage, t } from './strings.js';

test('every key exists, non-empty, in every language, with the same placeholders', () => {
  const keys = Object.keys(STRINGS.en).sort();
  for (const lang of LANGUAGES) {
    assert.deepEqual(Object.keys(STRINGS[lang]).sort(), keys, `${lang} has exactly the English keys`);
    for (const key of keys) {
      const text = STRINGS[lang][key as keyof typeof STRINGS.en];
      assert.ok(text.trim().length > 0, `${lang}.${key} is empty`);
      const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(holes(text), holes(STRINGS.en[key as keyof typeof STRINGS.en]), `${lang}.${key} placeholders`);
    }
  }
});

test('translations are translations, not copies of English', () => {
  for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
    const same = Object.keys(STRINGS.en).filter((k) => STRINGS[lang][k as keyof typeof STRINGS.en] === STRINGS.en[k as keyof typeof STRINGS.en]);
    // Names (IMAP4, LMTP, Token, Status, Info...) may legitimately stay the same; most may not.
    assert.ok(same.length < Object.keys(STRINGS.en).length / 8, `${lang}: ${same.length} strings identical to English: ${same.join(', ')}`);
  }
});

test('language choice: explicit, then Accept-Language by quality, then English', () => {
  assert.equal(pickLanguage('de', 'fr'), 'de');
  assert.equal(pickLanguage('xx', 'it-CH, fr;q=0.5'), 'it');
  assert.equal(pickLanguage(undefined, 'es, fr;q=0.8, de;q=0.9'), 'de');
  assert.equal(pickLanguage(undefined, 'es, ja'), 'en');
  assert.equal(pickLanguage(undefined, undefined), 'en');
  assert.equal(t('fr', 'user_added', { address: 'a@b.c' }), 'a@b.c ajouté.');
});
