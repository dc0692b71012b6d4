#!/usr/bin/env node
// Rewrites the settings block of README.md from the schema (run after `npx tsc`).
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTables } from './settings-table.mjs';

const path = new URL('../README.md', import.meta.url);
const text = readFileSync(path, 'utf8');
const start = '<!-- settings:start -->';
const end = '<!-- settings:end -->';
const out = text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), `${start}\n${settingsTables()}\n${end}`);
writeFileSync(path, out);
