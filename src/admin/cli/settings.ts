/**
 * `portcullis imap get|set`, `portcullis pop get|set`: the Get/Set-ImapSettings and
 * Get/Set-PopSettings of this server, generated from the schema. `set` validates every given
 * value before writing anything, then asks a running server to reload (control socket) and says
 * per setting whether it applied live, needs a restart, or waits for the server to start.
 */
import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { checkBindingConflicts, loadConfig, saveConfig, validateSetting } from '../../config/config.js';
import { SETTINGS_SECTIONS, allowedText, type SectionName, type SettingValue } from '../../config/schema.js';
import { readRunStatus } from '../runstate.js';
import { fileSettingProblem } from './setting-files.js';
import { NOT_RUNNING, controlRequest } from './service-control.js';

export function settingsCommands(section: SectionName) {
  const defs = SETTINGS_SECTIONS[section];

  async function get(ctx: CliContext): Promise<number> {
    const { values, positionals } = parse(ctx.args, { json: { type: 'boolean' } }, `portcullis ${section} get [--json] [NAME]`, 1);
    const cfg = loadConfig(ctx.dataDir);
    let shown = defs;
    if (positionals[0]) {
      shown = defs.filter((d) => d.name === positionals[0].replace(/^--/, ''));
      if (!shown.length) throw new CliError(`NAME: unknown setting "${positionals[0]}" (allowed: ${defs.map((d) => d.name).join(', ')})`);
    }
    const rows = shown.map((d) => ({
      name: d.name,
      value: cfg[section][d.name] ?? d.default,
      default: d.default,
      changed: d.name in cfg[section],
      apply: d.apply,
      allowed: allowedText(d),
      exchange: d.exchange,
    }));
    if (values.json) {
      ctx.stdout(JSON.stringify(rows, null, 2));
      return 0;
    }
    const w = Math.max(...rows.map((r) => r.name.length)) + 2;
    for (const r of rows) {
      ctx.stdout(`${r.name.padEnd(w)}${String(r.value)}${r.changed ? `   (changed; default ${String(r.default)})` : ''}`);
    }
    return 0;
  }

  async function set(ctx: CliContext): Promise<number> {
    const usage = `portcullis ${section} set --NAME VALUE ... (NAME one of: ${defs.map((d) => d.name).join(', ')})`;
    const options = Object.fromEntries(defs.map((d) => [d.name, { type: 'string' as const }]));
    const { values } = parse(ctx.args, options, usage);
    const given = Object.entries(values).filter(([, v]) => v !== undefined) as Array<[string, string]>;
    if (!given.length) throw new CliError(`missing setting (usage: ${usage})`);
    const cfg = loadConfig(ctx.dataDir);
    const updates: Record<string, SettingValue> = {};
    for (const [name, raw] of given) {
      const def = defs.find((d) => d.name === name)!;
      updates[name] = validateSetting(def, raw);
      const problem = fileSettingProblem(section, name, updates[name]!);
      if (problem) throw new CliError(problem);
    }
    for (const [name, value] of Object.entries(updates)) {
      const def = defs.find((d) => d.name === name)!;
      if (JSON.stringify(value) === JSON.stringify(validateSetting(def, def.default))) delete cfg[section][name];
      else cfg[section][name] = value;
    }
    checkBindingConflicts(cfg, { section, names: Object.keys(updates) });
    saveConfig(ctx.dataDir, cfg);
    const outcome = await applyToRunningServer(ctx.dataDir);
    for (const name of Object.keys(updates)) {
      const def = defs.find((d) => d.name === name)!;
      let when: string;
      if (outcome.kind === 'not-running') when = 'saved; no server is running, applies when it starts';
      else if (def.apply === 'restart') when = 'saved; needs a restart of the server';
      else if (outcome.kind === 'applied') when = 'applied live by the running server';
      else when = 'saved; the running server reported a problem applying the config (see below)';
      ctx.stdout(`${name} = ${String(updates[name])} (${when})`);
    }
    if (outcome.kind === 'failed') throw new CliError(`the running server did not apply everything: ${outcome.detail}`, 1);
    return 0;
  }

  return { get, set };
}

type ApplyOutcome = { kind: 'applied' } | { kind: 'not-running' } | { kind: 'failed'; detail: string };

/** Asks the running server (if any) to reload its config through the control socket, as SIGHUP would. */
async function applyToRunningServer(dataDir: string): Promise<ApplyOutcome> {
  if (!readRunStatus(dataDir)) return { kind: 'not-running' };
  try {
    const reply = await controlRequest(dataDir, 'POST', '/api/reload');
    if (reply.status === 200) return { kind: 'applied' };
    return { kind: 'failed', detail: (reply.body as { error?: string } | null)?.error ?? `HTTP ${reply.status}` };
  } catch (err) {
    if (err instanceof CliError && err.exitCode === NOT_RUNNING) return { kind: 'not-running' };
    return { kind: 'failed', detail: `${(err as Error).message} (send the server SIGHUP to apply it)` };
  }
}
