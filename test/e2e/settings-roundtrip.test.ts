// Every setting of every section, driven by the schema: `set` a valid non-default value and `get
// --json` shows it as changed; each invalid value (out of range, wrong type, not allowed) is
// refused with exit 2 and one line naming the setting, the config file byte-identical; setting
// the default again shows it unchanged. The CLI's set/get run in-process (same parsing and error
// reporting as bin/portcullis.js) so the few hundred commands stay quick.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cliOk, makeDataDir } from './harness.js';
import { settingsCommands } from '../../src/admin/cli/settings.js';
import { reportCliError } from '../../src/admin/cli/errors.js';
import { SETTINGS_SECTIONS, type SectionName, type SettingDef, type SettingValue } from '../../src/config/schema.js';

const root = makeDataDir();
const dataDir = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));
const configText = () => readFileSync(join(dataDir, 'portcullis.json'), 'utf8');
const secretFile = join(root, 'cluster.secret');
writeFileSync(secretFile, randomBytes(48).toString('hex'), { mode: 0o600 });

/** Settings that take any text, so no value can be refused (none today: every list checks its items). */
const FREE_TEXT = new Set<string>();

async function run(section: SectionName, verb: 'get' | 'set', args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const ctx = { dataDir, args, stdout: (t: string) => { stdout += t.endsWith('\n') ? t : t + '\n'; }, readStdin: async () => Buffer.alloc(0) };
  try {
    const code = await settingsCommands(section)[verb](ctx);
    return { code, stdout, stderr };
  } catch (err) {
    const code = reportCliError(err, (line) => { stderr += line; });
    return { code, stdout, stderr };
  }
}

const TEXT_CANDIDATES = ['mail.example.org', 'relay.example.org:587', 'ldap://ldap.example.org:389', '/var/lib/portcullis-test', 'mailsvc', 'unix:/run/portcullis-test/lmtp'];
let nextPort = 41000;

/** A valid value other than the default, as typed on the command line, and how `get --json` shows it. */
function validValue(section: SectionName, def: SettingDef): { arg: string; shown: SettingValue } {
  const t = def.type;
  if (section === 'server' && def.name === 'cluster-secret-file') return { arg: secretFile, shown: secretFile };
  switch (t.kind) {
    case 'enum': { const v = t.values.find((x) => x !== def.default)!; return { arg: v, shown: v }; }
    case 'int': { const v = (def.default as number) + 1 <= t.max ? (def.default as number) + 1 : (def.default as number) - 1; return { arg: String(v), shown: v }; }
    case 'bool': return { arg: String(!def.default), shown: !def.default };
    case 'bindings': { const b = `127.0.0.1:${nextPort++}`; return { arg: b, shown: [b] }; }
    case 'string-list': {
      if (def.name.endsWith('connection-settings')) {
        const port = /:(\d+)/.exec(String(SETTINGS_SECTIONS[section].find((d) => d.name === 'ssl-bindings')!.default))![1];
        const v = `mail.example.org:${port}:SSL`;
        return { arg: v, shown: [v] };
      }
      const v = ['10.0.0.0/8', 'be1.example.org', 'admin@example.org', 'MD5-CRYPT'].find((x) => !t.item || t.item.test(x))!;
      return { arg: v, shown: [v] };
    }
    case 'string': {
      const v = TEXT_CANDIDATES.find((x) => x !== def.default && (!t.pattern || t.pattern.test(x)) && (t.maxLength === undefined || x.length <= t.maxLength));
      assert.ok(v, `${section}.${def.name}: no candidate value`);
      return { arg: v, shown: v };
    }
  }
}

/** Values the setting must refuse. */
function invalidValues(def: SettingDef): string[] {
  const t = def.type;
  switch (t.kind) {
    case 'enum': return ['NoSuchValue'];
    case 'int': return [String(t.max + 1), String(t.min - 1), 'twelve', '1.5'];
    case 'bool': return ['maybe'];
    case 'bindings': return ['127.0.0.1', '127.0.0.1:70000'];
    case 'string-list': return t.item ? ['not valid!'] : [];
    case 'string': {
      const out: string[] = [];
      if (t.maxLength !== undefined) out.push(`/${'a'.repeat(t.maxLength)}`);
      const bad = ['not valid!', 'relative/path', 'caf\u00e9\u0001'].find((x) => t.pattern && !t.pattern.test(x));
      if (bad) out.push(bad);
      return out;
    }
  }
}

const asArg = (v: SettingValue): string => (Array.isArray(v) ? v.join(',') : String(v));

test('init', () => {
  cliOk(dataDir, ['init', '--hostname', 'mail.example.test']);
});

for (const section of Object.keys(SETTINGS_SECTIONS) as SectionName[]) {
  test(`${section}: every setting round-trips and refuses bad values`, async () => {
    for (const def of SETTINGS_SECTIONS[section]) {
      const what = `${section} ${def.name}`;
      const { arg, shown } = validValue(section, def);
      const set = await run(section, 'set', [`--${def.name}=${arg}`]);
      assert.equal(set.code, 0, `${what} ${arg}: ${set.stderr}`);
      let row = JSON.parse((await run(section, 'get', ['--json', def.name])).stdout)[0];
      assert.deepEqual({ value: row.value, changed: row.changed }, { value: shown, changed: true }, what);

      const bad = invalidValues(def);
      assert.equal(bad.length === 0, FREE_TEXT.has(`${section}.${def.name}`), `${what}: refuses something unless it is free text`);
      for (const value of bad) {
        const before = configText();
        const r = await run(section, 'set', [`--${def.name}=${value}`]);
        assert.equal(r.code, 2, `${what} ${JSON.stringify(value)} is refused`);
        assert.match(r.stderr, new RegExp(`^portcullis: ${def.name}: `), `${what}: the line names the setting`);
        assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`);
        assert.equal(configText(), before, `${what}: file unchanged`);
      }

      const back = await run(section, 'set', [`--${def.name}=${asArg(def.default)}`]);
      assert.equal(back.code, 0, `${what} back to default: ${back.stderr}`);
      row = JSON.parse((await run(section, 'get', ['--json', def.name])).stdout)[0];
      assert.equal(row.changed, false, `${what}: default again`);
    }
  });
}
