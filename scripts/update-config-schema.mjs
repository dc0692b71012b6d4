#!/usr/bin/env node
// Rewrites docs/portcullis-config.schema.json, the JSON Schema of portcullis.json, from the
// settings schema (run after `npx tsc`; test/unit/config-schema.test.ts keeps the two equal).
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../dist/src/config/json-schema.js';

writeFileSync(new URL('../docs/portcullis-config.schema.json', import.meta.url), JSON.stringify(configJsonSchema(), null, 2) + '\n');
