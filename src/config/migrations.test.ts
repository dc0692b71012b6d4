/**
 * Config migrations: a v1 fixture becomes exactly the expected v2, migrating twice changes
 * nothing, the saved file keeps a .bak of the old one, and a newer version is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '../../test/helpers/paths.js';
import { LATEST_CONFIG_VERSION, MIGRATIONS, migrateRaw, type RawConfig } from './migrations.js';
import { CONFIG_SCHEMA_URL, CONFIG_VERSION, ConfigError, configPath, imapSettings, loadConfig, migrateConfigFile, pendingMigrations, saveConfig } from './config.js';

const readJson = (path: string): RawConfig => JSON.parse(readFileSync(path, 'utf8')) as RawConfig;

function dataDirWith(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  copyFileSync(fixturePath('config', fixture), configPath(dir));
  return dir;
}

test('the steps form one chain ending at the version this Portcullis writes', () => {
  assert.equal(CONFIG_VERSION, 2);
  assert.equal(LATEST_CONFIG_VERSION, CONFIG_VERSION);
  for (let i = 1; i < MIGRATIONS.length; i++) assert.equal(MIGRATIONS[i].from, MIGRATIONS[i - 1].to);
});

test('a v1 config migrates to exactly the expected v2, and migrating again changes nothing', () => {
  const v1 = readJson(fixturePath('config', 'v1-typical.json'));
  const expected = readJson(fixturePath('config', 'v2-typical.expected.json'));
  const once = migrateRaw(v1);
  assert.deepEqual(once.config, expected);
  assert.equal(once.from, 1);
  assert.deepEqual(once.applied.map((s) => `${s.from}->${s.to}`), ['1->2']);
  assert.equal(v1.version, 1, 'the input is not modified');
  const twice = migrateRaw(once.config);
  assert.deepEqual(twice.config, expected);
  assert.equal(twice.applied.length, 0);
});

test('loadConfig reads a v1 file as v2 in memory without touching the file', (t) => {
  const dir = dataDirWith('v1-typical.json');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const before = readFileSync(configPath(dir), 'utf8');
  const cfg = loadConfig(dir);
  assert.equal(cfg.version, 2);
  assert.deepEqual(cfg.imap['ssl-bindings'], ['0.0.0.0:993', '[::]:993']);
  assert.deepEqual(imapSettings(cfg).sslBindings, [{ host: '0.0.0.0', port: 993 }, { host: '::', port: 993 }]);
  assert.equal(readFileSync(configPath(dir), 'utf8'), before);
  assert.deepEqual(pendingMigrations(dir).map((s) => s.to), [2]);
});

test('saving a migrated config writes the v2 file, keeps a .bak of v1, reports one line per step; idempotent', (t) => {
  const dir = dataDirWith('v1-typical.json');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const original = readFileSync(configPath(dir), 'utf8');
  const lines: string[] = [];
  assert.equal(migrateConfigFile(dir, (l) => lines.push(l)), 1);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^config migrated from version 1 to 2: address:port lists .* JSON arrays/);
  assert.equal(readFileSync(configPath(dir), 'utf8'), JSON.stringify({ $schema: CONFIG_SCHEMA_URL, ...readJson(fixturePath('config', 'v2-typical.expected.json')) as object }, null, 2) + '\n');
  const bak = `${configPath(dir)}.v1.bak`;
  assert.equal(readFileSync(bak, 'utf8'), original);
  assert.equal(statSync(configPath(dir)).mode & 0o777, 0o600);
  assert.deepEqual(pendingMigrations(dir), []);
  // Again: nothing to do, nothing reported, the backup untouched.
  const after = readFileSync(configPath(dir), 'utf8');
  assert.equal(migrateConfigFile(dir, (l) => lines.push(l)), 0);
  assert.equal(lines.length, 1);
  assert.equal(readFileSync(configPath(dir), 'utf8'), after);
  assert.equal(readFileSync(bak, 'utf8'), original);
});

test('any command that saves migrates too: a v2 value set on a v1 file', (t) => {
  const dir = dataDirWith('v1-minimal.json');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = loadConfig(dir);
  cfg.services.imap4 = 'Automatic';
  const lines: string[] = [];
  saveConfig(dir, cfg, (l) => lines.push(l));
  assert.equal(lines.length, 1);
  assert.equal(readJson(configPath(dir)).version, 2);
  assert.ok(existsSync(`${configPath(dir)}.v1.bak`));
  // A current file saved again: no backup of version 2, no line.
  saveConfig(dir, loadConfig(dir), (l) => lines.push(l));
  assert.equal(lines.length, 1);
  assert.ok(!existsSync(`${configPath(dir)}.v2.bak`));
});

test('a version written by a newer Portcullis, or no version, is refused with a clear message', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const v1 = readJson(fixturePath('config', 'v1-minimal.json'));
  writeFileSync(configPath(dir), JSON.stringify({ ...v1, version: 99 }));
  assert.throws(() => loadConfig(dir), (err: unknown) => err instanceof ConfigError && /^version: 99 was written by a newer Portcullis/.test(err.message));
  assert.deepEqual(pendingMigrations(dir), []);
  writeFileSync(configPath(dir), JSON.stringify({ ...v1, version: '2' }));
  assert.throws(() => loadConfig(dir), /version: "2" is not a config version/);
  writeFileSync(configPath(dir), JSON.stringify({ ...v1, version: 0 }));
  assert.throws(() => loadConfig(dir), /version: 0 is too old/);
});

test('a v2 file may still hold a comma-separated binding string (read both ways)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const v2 = readJson(fixturePath('config', 'v2-typical.expected.json'));
  (v2.imap as RawConfig)['ssl-bindings'] = '127.0.0.1:993,[::1]:993';
  writeFileSync(configPath(dir), JSON.stringify(v2));
  assert.deepEqual(loadConfig(dir).imap['ssl-bindings'], ['127.0.0.1:993', '[::1]:993']);
});
