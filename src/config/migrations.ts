/**
 * Config file migrations: an ordered list of steps, each turning a config of version `from`
 * into version `to`. loadConfig applies them in memory (reading code accepts every old version);
 * `serve` and every command that writes the config save the migrated file, keeping the old one
 * as portcullis.json.v<old>.bak, and report one line per step. Pure functions over the parsed
 * JSON: no file access here except the backup helper.
 *
 * Adding a version: append a step {from: N, to: N + 1}; LATEST_CONFIG_VERSION follows.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { SETTINGS_SECTIONS, type SectionName } from './schema.js';

export type RawConfig = Record<string, unknown>;

export interface MigrationStep {
  from: number;
  to: number;
  /** What the step changes, in words, for the log line and `config check`. */
  what: string;
  /** Returns the config of version `to` (a new object; `raw` is left untouched). */
  apply(raw: RawConfig): RawConfig;
}

/** The names of the address:port list settings per section (kind 'bindings' in the schema). */
function bindingSettings(): Array<[SectionName, string]> {
  const out: Array<[SectionName, string]> = [];
  for (const section of Object.keys(SETTINGS_SECTIONS) as SectionName[]) {
    for (const def of SETTINGS_SECTIONS[section]) if (def.type.kind === 'bindings') out.push([section, def.name]);
  }
  return out;
}

/** v1 stored each binding list as one comma-separated string; v2 as a JSON array of strings. */
const bindingsAsArrays: MigrationStep = {
  from: 1,
  to: 2,
  what: 'address:port lists (ssl-bindings, unencrypted-or-tls-bindings, backend-bindings, admin bindings) are stored as JSON arrays of strings instead of one comma-separated string',
  apply(raw) {
    const out: RawConfig = { ...raw, version: 2 };
    for (const [section, name] of bindingSettings()) {
      const values = out[section];
      if (typeof values !== 'object' || values === null || Array.isArray(values)) continue;
      const v = (values as Record<string, unknown>)[name];
      if (typeof v !== 'string') continue;
      out[section] = { ...(values as Record<string, unknown>), [name]: v.split(',').map((s) => s.trim()).filter(Boolean) };
    }
    return out;
  },
};

/** Every step, oldest first; each `to` is the next step's `from`. */
export const MIGRATIONS: readonly MigrationStep[] = [bindingsAsArrays];

/** The version this Portcullis writes. */
export const LATEST_CONFIG_VERSION = MIGRATIONS.length ? MIGRATIONS[MIGRATIONS.length - 1].to : 1;

/** The oldest version a step starts from. */
export const OLDEST_CONFIG_VERSION = MIGRATIONS.length ? MIGRATIONS[0].from : LATEST_CONFIG_VERSION;

/** Why a version cannot be read, or null when it can (migrated or as is). */
export function versionProblem(version: unknown): string | null {
  if (typeof version !== 'number' || !Number.isSafeInteger(version)) {
    return `version: ${JSON.stringify(version) ?? 'missing'} is not a config version (allowed: a whole number from ${OLDEST_CONFIG_VERSION} to ${LATEST_CONFIG_VERSION})`;
  }
  if (version > LATEST_CONFIG_VERSION) {
    return `version: ${version} was written by a newer Portcullis (this one reads versions ${OLDEST_CONFIG_VERSION} to ${LATEST_CONFIG_VERSION}); upgrade Portcullis, or restore the backup portcullis.json.v${LATEST_CONFIG_VERSION}.bak if the upgrade left one`;
  }
  if (version < OLDEST_CONFIG_VERSION) {
    return `version: ${version} is too old to migrate (allowed: ${OLDEST_CONFIG_VERSION} to ${LATEST_CONFIG_VERSION})`;
  }
  return null;
}

/** The steps that take a config of `version` to the latest one (empty when it is current). */
export function pendingSteps(version: number): MigrationStep[] {
  const steps: MigrationStep[] = [];
  let v = version;
  for (const step of MIGRATIONS) {
    if (step.from !== v) continue;
    steps.push(step);
    v = step.to;
  }
  return v === LATEST_CONFIG_VERSION ? steps : [];
}

export interface Migrated {
  config: RawConfig;
  /** The version the input had. */
  from: number;
  applied: MigrationStep[];
}

/**
 * Applies every pending step to a parsed config whose version versionProblem accepted.
 * Idempotent: a current config comes back unchanged with no steps applied.
 */
export function migrateRaw(raw: RawConfig): Migrated {
  const from = raw.version as number;
  let config = raw;
  const applied = pendingSteps(from);
  for (const step of applied) config = step.apply(config);
  return { config, from, applied };
}

/** The log line of one applied step. */
export function migrationLine(step: MigrationStep): string {
  return `config migrated from version ${step.from} to ${step.to}: ${step.what}`;
}

/** Where the file of an older version is kept when it is replaced: portcullis.json.v<old>.bak. */
export function backupPath(configFile: string, version: number): string {
  return `${configFile}.v${version}.bak`;
}

/** Copies the file about to be replaced by its migrated version; an existing backup is kept. */
export function writeBackup(configFile: string, version: number): string {
  const path = backupPath(configFile, version);
  if (!existsSync(path)) copyFileSync(configFile, path);
  return path;
}
