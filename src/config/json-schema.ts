/**
 * A JSON Schema (draft 2020-12) of portcullis.json, generated from the settings schema, for
 * editors and CI. It is committed as docs/portcullis-config.schema.json (scripts/update-config-schema.mjs;
 * a test keeps the two equal) and saveConfig points the file's `$schema` key at it. The loader
 * stays the authority: it also accepts what the schema leaves out (a comma-separated string for
 * a list, an enum value in another case), and checks what a schema cannot (binding clashes).
 */
import { SERVICE_NAMES, SETTINGS_SECTIONS, type SettingDef } from './schema.js';
import { LATEST_CONFIG_VERSION, OLDEST_CONFIG_VERSION } from './migrations.js';

type Json = { [key: string]: unknown };

/** A JavaScript pattern as JSON Schema takes it (ECMA-262, no flags); null when it has flags. */
function pattern(re: RegExp | undefined): Json {
  return re && !re.flags ? { pattern: re.source } : {};
}

const BINDING = '^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Za-z.-]+):\\d{1,5}$';

function valueSchema(def: SettingDef): Json {
  const t = def.type;
  switch (t.kind) {
    case 'enum': return { type: 'string', enum: [...t.values] };
    case 'int': return { type: 'integer', minimum: t.min, maximum: t.max };
    case 'bool': return { type: 'boolean' };
    case 'string': return { type: 'string', ...(t.maxLength !== undefined ? { maxLength: t.maxLength } : {}), ...pattern(t.pattern) };
    case 'bindings': return { type: 'array', items: { type: 'string', pattern: BINDING }, uniqueItems: true };
    case 'string-list': return { type: 'array', items: { type: 'string', ...pattern(t.item) } };
  }
}

function settingSchema(def: SettingDef): Json {
  const facts = [`Default: ${JSON.stringify(def.default)}.`, `Applies: ${def.apply}.`, def.exchange ? `Exchange: ${def.exchange}.` : ''].filter(Boolean).join(' ');
  const dflt = def.type.kind === 'bindings' ? String(def.default).split(',').filter(Boolean) : def.default;
  return { description: `${def.description} ${facts}`, ...valueSchema(def), default: dflt };
}

export function configJsonSchema(): Json {
  const sections = Object.fromEntries(Object.entries(SETTINGS_SECTIONS).map(([section, defs]) => [section, {
    type: 'object',
    description: `Settings of \`portcullis ${section} set\`; only values changed from the default are stored.`,
    properties: Object.fromEntries(defs.map((d) => [d.name, settingSchema(d)])),
    additionalProperties: false,
  }]));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Portcullis config file (portcullis.json)',
    description: 'Written by the portcullis CLI and admin API (plain JSON: comments are not kept). Generated from the settings schema.',
    type: 'object',
    properties: {
      $schema: { type: 'string', description: 'Where this schema is, for editors.' },
      version: { type: 'integer', minimum: OLDEST_CONFIG_VERSION, maximum: LATEST_CONFIG_VERSION, description: 'Config file version; older versions are migrated on the next save.' },
      hostname: { type: 'string', minLength: 1, description: 'Host name given to init.' },
      store: {
        type: 'object',
        properties: { kind: { enum: ['sqlite', 'postgres'] }, url: { type: 'string', description: 'postgres://USER@HOST/DB (kind postgres).' } },
        required: ['kind'],
        additionalProperties: false,
      },
      services: {
        type: 'object',
        description: 'Startup type of each service.',
        properties: Object.fromEntries(SERVICE_NAMES.map((s) => [s, { enum: ['Automatic', 'Disabled'] }])),
        additionalProperties: false,
      },
      ...sections,
    },
    required: ['version', 'hostname'],
    additionalProperties: false,
  };
}
