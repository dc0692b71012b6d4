// docs/portcullis-config.schema.json is generated from the settings schema; this keeps it from drifting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { configJsonSchema } from '../../src/config/json-schema.js';

test('docs/portcullis-config.schema.json matches the settings schema (run scripts/update-config-schema.mjs)', () => {
  const committed = readFileSync(join(repoRoot(), 'docs', 'portcullis-config.schema.json'), 'utf8');
  assert.equal(committed, JSON.stringify(configJsonSchema(), null, 2) + '\n');
});
