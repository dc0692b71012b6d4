import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fixturePath } from '../../test/helpers/paths.js';
import { indexMessage } from './indexer.js';
import { bodyStructureText, envelopeText } from './imap-text.js';

interface Expected {
  envelope: string;
  bodystructure: string;
  sentDate?: string;
  searchHeaders?: Record<string, string>;
  bodyIncludes?: string[];
  bodyExcludes?: string[];
}

const dir = fixturePath('messages');
const names = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();

test('the corpus has at least 15 messages, each with hand-written expectations', () => {
  assert.ok(names.length >= 15, `only ${names.length} fixtures`);
  for (const name of names) assert.ok(readdirSync(dir).includes(name.replace(/\.eml$/, '.expected.json')), name);
});

for (const name of names) {
  test(`corpus ${name}: ENVELOPE and BODYSTRUCTURE as RFC 3501 §7.4.2 says`, () => {
    const raw = readFileSync(`${dir}/${name}`);
    const want = JSON.parse(readFileSync(`${dir}/${name.replace(/\.eml$/, '.expected.json')}`, 'utf8')) as Expected;
    const msg = indexMessage(raw);
    assert.equal(msg.size, raw.length);
    assert.equal(envelopeText(msg.envelope), want.envelope, 'ENVELOPE');
    assert.equal(bodyStructureText(msg.root), want.bodystructure, 'BODYSTRUCTURE');
    if (want.sentDate) assert.equal(msg.sentDate?.toISOString(), want.sentDate);
    for (const [k, v] of Object.entries(want.searchHeaders ?? {})) {
      assert.equal(msg.search.headers.find(([n]) => n === k)?.[1], v, `search header ${k}`);
    }
    const body = msg.search.body.replace(/[ \t]+/g, ' ');
    for (const s of want.bodyIncludes ?? []) assert.ok(body.includes(s), `search body should include ${JSON.stringify(s)}: ${JSON.stringify(body)}`);
    for (const s of want.bodyExcludes ?? []) assert.ok(!body.includes(s), `search body should not include ${JSON.stringify(s)}`);
  });
}
