// The config file as an editor or CI sees it: saved files carry a `$schema` pointing at the
// installation's JSON Schema, a real validator (Python jsonschema) accepts what the CLI writes and
// rejects a hand-made mistake, and the loader accepts the `$schema` key.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { cli, cliOk, makeDataDir } from './harness.js';

const root = makeDataDir();
const dataDir = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));
const configFile = join(dataDir, 'portcullis.json');

/** Validates a config file against the schema its `$schema` names; resolves the validator's complaints ('' when valid). */
function validate(file: string): string {
  const script = [
    'import json, sys, urllib.parse, urllib.request',
    'from jsonschema import Draft202012Validator',
    'doc = json.load(open(sys.argv[1]))',
    'schema = json.load(urllib.request.urlopen(doc["$schema"]))',
    'Draft202012Validator.check_schema(schema)',
    'for e in Draft202012Validator(schema).iter_errors(doc): print("/".join(map(str, e.path)) + ": " + e.message)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('a config written by the CLI names its schema and is valid against it', () => {
  cliOk(dataDir, ['init', '--hostname', 'mail.example.test']);
  cliOk(dataDir, ['service', 'enable', 'imap4']);
  cliOk(dataDir, ['imap', 'set', '--ssl-bindings', '127.0.0.1:1993,[::1]:1993', '--max-connections', '50', '--login-type', 'PlainTextLogin', '--external-connection-settings', 'mail.example.test:1993:SSL']);
  cliOk(dataDir, ['pop', 'set', '--message-retrieval-sort-order', 'Descending', '--protocol-log-enabled', 'true']);
  const doc = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  assert.equal(Object.keys(doc)[0], '$schema');
  const schemaPath = fileURLToPath(String(doc.$schema));
  assert.match(schemaPath, /docs\/portcullis-config\.schema\.json$/);
  assert.equal(JSON.parse(readFileSync(schemaPath, 'utf8')).title, 'Portcullis config file (portcullis.json)');
  assert.equal(validate(configFile), '');
  assert.equal(cli(dataDir, ['config', 'check']).code, 0, 'the loader accepts the $schema key');
});

test('the schema flags what config check refuses', () => {
  const good = readFileSync(configFile, 'utf8');
  const doc = JSON.parse(good) as Record<string, Record<string, unknown>>;
  writeFileSync(configFile, JSON.stringify({ ...doc, imap: { ...doc.imap, 'max-connections': 0, 'login-type': 'Cleartext' }, smtp: { 'no-such-setting': true } }, null, 2));
  try {
    const complaints = validate(configFile).split('\n');
    assert.ok(complaints.some((l) => l.startsWith('imap/max-connections: 0 is less than the minimum of 1')), complaints.join('\n'));
    assert.ok(complaints.some((l) => l.startsWith("imap/login-type: 'Cleartext' is not one of")), complaints.join('\n'));
    assert.ok(complaints.some((l) => /^smtp: Additional properties are not allowed \('no-such-setting'/.test(l)), complaints.join('\n'));
    assert.equal(cli(dataDir, ['config', 'check']).code, 2);
  } finally {
    writeFileSync(configFile, good);
  }
});
