#!/usr/bin/env node
// Prints the README's settings tables from the settings schema (run after `npx tsc`), so the
// documentation is generated from the same declarations the CLI validates with.
import { SETTINGS_SECTIONS } from '../dist/src/config/schema.js';

export function range(def) {
  const t = def.type;
  switch (t.kind) {
    case 'enum': return t.values.join(', ');
    case 'int': return `${t.min}–${t.max}${t.unit ? ' ' + t.unit : ''}`;
    case 'bool': return 'true, false';
    case 'bindings': return 'address:port list';
    case 'string': return t.hint ?? 'text';
    default: return 'list';
  }
}

export function settingsTables() {
  const out = [];
  for (const [section, defs] of Object.entries(SETTINGS_SECTIONS)) {
    out.push(`### \`portcullis ${section} set\``, '', '| setting | default | range | applies | Exchange | meaning |', '|---|---|---|---|---|---|');
    for (const d of defs) {
      const def = d.default === '' ? '(empty)' : String(d.default);
      out.push(`| \`--${d.name}\` | \`${def}\` | ${range(d)} | ${d.apply} | ${d.exchange ?? '—'} | ${d.description.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(settingsTables());
