/**
 * `portcullis config check [--json]`: validates the config (every setting, binding conflicts,
 * the cluster secret file) and the admin token file; prints every problem, one line each (not
 * only the first); exit 2 on any, 0 when sound.
 */
import { readFileSync } from 'node:fs';
import type { CliContext } from './errors.js';
import { parse } from './args.js';
import { configFileProblems, configPath, pendingMigrations } from '../../config/config.js';
import { SETTINGS_SECTIONS } from '../../config/schema.js';
import { TokenError, readTokens } from '../http/tokens.js';
import { fileSettingProblem } from './setting-files.js';

/** Every problem of a data dir's config, one line each (empty: sound). */
export function configProblems(dataDir: string): string[] {
  const problems = configFileProblems(dataDir);
  try {
    const raw = JSON.parse(readFileSync(configPath(dataDir), 'utf8')) as Record<string, unknown>;
    const secret = (raw.server as Record<string, unknown> | undefined)?.['cluster-secret-file'];
    const secretProblem = typeof secret === 'string' && secret.startsWith('/') ? fileSettingProblem('server', 'cluster-secret-file', secret) : null;
    if (secretProblem) problems.push(secretProblem);
    // The loader ignores unknown top-level keys: report them.
    const known = new Set(['$schema', 'version', 'hostname', 'store', 'services', ...Object.keys(SETTINGS_SECTIONS)]);
    for (const key of Object.keys(raw)) if (!known.has(key)) problems.push(`${key}: unknown section (allowed: ${[...known].join(', ')})`);
  } catch {
    // a missing or unreadable file was reported by configFileProblems
  }
  try {
    readTokens(dataDir);
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    problems.push(err.message);
  }
  return problems;
}

export async function configCheckCommand(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { json: { type: 'boolean' } }, 'portcullis config check [--json]');
  const problems = configProblems(ctx.dataDir);
  // An older version is not a problem: serve (or the next command that writes) migrates it.
  const pending = pendingMigrations(ctx.dataDir);
  if (values.json) ctx.stdout(JSON.stringify({ ok: problems.length === 0, problems, pendingMigrations: pending }, null, 2));
  else if (!problems.length) ctx.stdout(`${configPath(ctx.dataDir)}: OK`);
  else for (const p of problems) ctx.stdout(`problem: ${p}`);
  if (!values.json) for (const m of pending) ctx.stdout(`pending migration from version ${m.from} to ${m.to} (applied by serve or the next change): ${m.what}`);
  return problems.length ? 2 : 0;
}

export const configCommands = { check: configCheckCommand };
