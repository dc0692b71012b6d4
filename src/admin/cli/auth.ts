/**
 * `portcullis auth blocks list [ADDRESS] [--json]` and `portcullis auth blocks clear [ADDRESS]`.
 * Blocks live in the running server; it persists them to DATA_DIR/run/blocks.json and applies
 * clear requests dropped in DATA_DIR/run/blocks-clear/ (auth/blocks-file.ts).
 */
import { isIP } from 'node:net';
import { readBlocks, requestClear } from '../../auth/blocks-file.js';
import { networkKey } from '../../auth/throttle.js';
import { loadConfig } from '../../config/config.js';
import { parse } from './args.js';
import { CliError, type CliContext } from './errors.js';

/** ADDRESS as `auth blocks` takes it: an IP address (made into its network key) or a network as listed. */
export function checkNetwork(arg: string | undefined, usage: string): string | null {
  if (arg === undefined) return null;
  const [addr, bits] = arg.split('/');
  if (!addr || isIP(addr) === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
    throw new CliError(`ADDRESS: "${arg.slice(0, 60)}" is not allowed (allowed: an IPv4 or IPv6 address, or a network as shown by 'auth blocks list'; usage: ${usage})`);
  }
  return bits === undefined ? networkKey(addr) : arg;
}

async function blocks(ctx: CliContext): Promise<number> {
  const verb = ctx.args.shift();
  if (verb === 'list') {
    const usage = 'portcullis auth blocks list [ADDRESS] [--json]';
    const { values, positionals } = parse(ctx.args, { json: { type: 'boolean' } }, usage, 1);
    const network = checkNetwork(positionals[0], usage);
    loadConfig(ctx.dataDir);
    const snap = readBlocks(ctx.dataDir);
    const now = Date.now();
    const rows = (snap?.blocks ?? []).filter((b) => Date.parse(b.until) > now && (network === null || b.network === network));
    if (values.json) ctx.stdout(JSON.stringify({ updatedAt: snap?.updatedAt ?? null, blocks: rows }, null, 2));
    else if (!snap) ctx.stdout('(no block information: the server has not written DATA_DIR/run/blocks.json; is it running?)');
    else if (!rows.length) ctx.stdout('(no blocks)');
    else for (const b of rows) ctx.stdout(`${b.network}  until ${b.until}  failures=${b.failures}`);
    return 0;
  }
  if (verb === 'clear') {
    const usage = 'portcullis auth blocks clear [ADDRESS]';
    const { positionals } = parse(ctx.args, {}, usage, 1);
    const network = checkNetwork(positionals[0], usage);
    loadConfig(ctx.dataDir);
    requestClear(ctx.dataDir, network);
    ctx.stdout(`Clear of ${network ?? 'all blocks'} requested; the running server applies it within a few seconds.`);
    return 0;
  }
  throw new CliError(`auth blocks: ${verb ? `unknown subcommand "${verb}"` : 'missing subcommand'} (allowed: list, clear)`);
}

export const authCommands = { blocks };
