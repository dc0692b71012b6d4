// The README's settings tables are generated from the schema; this keeps them from drifting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/paths.js';

test('README settings tables match the settings schema (run scripts/update-readme-settings.mjs)', async () => {
  const { settingsTables } = (await import(pathToFileURL(join(repoRoot(), 'scripts', 'settings-table.mjs')).href)) as { settingsTables: () => string };
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const block = /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme)?.[1];
  assert.equal(block, settingsTables());
});
