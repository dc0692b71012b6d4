import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { loadConfig, saveConfig } from '../../config/config.js';
import { SERVICE_NAMES, type ServiceName } from '../../config/schema.js';
import { readRunStatus } from '../runstate.js';

function serviceName(name: string | undefined, usage: string): ServiceName {
  if (!name) throw new CliError(`NAME: missing (usage: ${usage}; allowed: ${SERVICE_NAMES.join(', ')})`);
  if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
    throw new CliError(`NAME: unknown service "${name}" (allowed: ${SERVICE_NAMES.join(', ')})`);
  }
  return name as ServiceName;
}

async function list(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { json: { type: 'boolean' } }, 'portcullis service list [--json]');
  const cfg = loadConfig(ctx.dataDir);
  const run = readRunStatus(ctx.dataDir);
  const rows = SERVICE_NAMES.map((name) => ({
    name,
    startupType: cfg.services[name],
    status: run?.services[name] ?? 'Stopped',
  }));
  if (values.json) {
    ctx.stdout(JSON.stringify(rows, null, 2));
    return 0;
  }
  ctx.stdout(`${'Name'.padEnd(16)}${'StartupType'.padEnd(14)}Status`);
  for (const r of rows) ctx.stdout(`${r.name.padEnd(16)}${r.startupType.padEnd(14)}${r.status}`);
  if (!run) ctx.stdout('(the server is not running)');
  return 0;
}

function setter(type: 'Automatic' | 'Disabled') {
  return async (ctx: CliContext): Promise<number> => {
    const usage = `portcullis service ${type === 'Automatic' ? 'enable' : 'disable'} NAME`;
    const { positionals } = parse(ctx.args, {}, usage, 1);
    const name = serviceName(positionals[0], usage);
    const cfg = loadConfig(ctx.dataDir);
    cfg.services[name] = type;
    saveConfig(ctx.dataDir, cfg);
    ctx.stdout(`${name}: startup type ${type}${readRunStatus(ctx.dataDir) ? ' (the running server applies it on SIGHUP)' : ''}`);
    return 0;
  };
}

export const serviceCommands = { list, enable: setter('Automatic'), disable: setter('Disabled') };
