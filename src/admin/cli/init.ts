import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { configPath, defaultConfig, saveConfig } from '../../config/config.js';
import { openStore } from '../../store/open.js';
import { createInitialCertificate } from './cert.js';

const USAGE = 'portcullis init --hostname HOST [--store postgres://USER@HOST:PORT/DB]';
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

export async function initCommand(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { hostname: { type: 'string' }, store: { type: 'string' } }, USAGE);
  const storeUrl = values.store as string | undefined;
  if (storeUrl !== undefined && !/^postgres(ql)?:\/\/[^\s]+$/.test(storeUrl)) {
    throw new CliError(`--store: "${storeUrl.replace(/:[^:@/]*@/, ':***@')}" is not allowed (allowed: a postgres://USER@HOST:PORT/DATABASE URL; without --store the embedded SQLite store is used)`);
  }
  const hostname = values.hostname as string | undefined;
  if (!hostname) throw new CliError(`--hostname: missing (usage: ${USAGE})`);
  if (!HOSTNAME.test(hostname)) throw new CliError(`--hostname: "${hostname}" is not allowed (allowed: a DNS host name such as mail.example.org)`);
  if (existsSync(configPath(ctx.dataDir))) throw new CliError(`--data-dir: ${ctx.dataDir} is already initialised (allowed: a new or empty directory)`);
  if (existsSync(ctx.dataDir) && readdirSync(ctx.dataDir).length > 0) {
    throw new CliError(`--data-dir: ${ctx.dataDir} is not empty (allowed: a new or empty directory)`);
  }
  const created = !existsSync(ctx.dataDir);
  mkdirSync(ctx.dataDir, { recursive: true, mode: 0o700 });
  const cfg = defaultConfig(hostname.toLowerCase());
  if (storeUrl) cfg.store = { kind: 'postgres', url: storeUrl };
  try {
    const store = await openStore(ctx.dataDir, cfg); // creates or migrates the schema, proves it is reachable
    await store.close();
  } catch (err) {
    // Leave nothing behind: the dir as it was (absent, or empty as init requires).
    if (created) rmSync(ctx.dataDir, { recursive: true, force: true });
    else for (const f of readdirSync(ctx.dataDir)) rmSync(join(ctx.dataDir, f), { recursive: true, force: true });
    throw new CliError(`--store: ${(err as Error).message}`);
  }
  const cert = await createInitialCertificate(ctx.dataDir, cfg.hostname);
  saveConfig(ctx.dataDir, cfg); // last: a data dir with a config is a complete one
  ctx.stdout(`Initialised ${ctx.dataDir} for ${cfg.hostname} on ${cfg.store.kind === 'postgres' ? 'PostgreSQL' : 'the embedded SQLite store'}.`);
  ctx.stdout(`Created a self-signed certificate "${cert}" (for testing only: import a real one with 'portcullis cert import').`);
  ctx.stdout(`Every service is disabled. Enable what you need, e.g.: portcullis service enable imap4 && portcullis service enable imap4-backend`);
  return 0;
}
