/**
 * `portcullis admin token add NAME --scope read-only|read-write [--expires-in-days N]` (prints the
 * token once), `admin token list [--json]` (with last use and expiry), `admin token remove NAME`. Tokens are stored hashed (SHA-256)
 * in DATA_DIR/admin-tokens.json (0600).
 */
import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { loadConfig } from '../../config/config.js';
import { MAX_TOKEN_DAYS, TOKEN_SCOPES, TokenError, addToken, removeToken, tokenRows, type TokenScope } from '../http/tokens.js';

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TokenError) throw new CliError(err.message);
    throw err;
  }
}

async function add(ctx: CliContext): Promise<number> {
  const usage = `portcullis admin token add NAME --scope ${TOKEN_SCOPES.join('|')} [--expires-in-days N]`;
  const { values, positionals } = parse(ctx.args, { scope: { type: 'string' }, 'expires-in-days': { type: 'string' } }, usage, 1);
  if (!positionals[0]) throw new CliError(`NAME: missing (usage: ${usage})`);
  const scope = values.scope as string | undefined;
  if (!scope) throw new CliError(`--scope: missing (usage: ${usage})`);
  if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) throw new CliError(`--scope: "${scope}" is not allowed (allowed: ${TOKEN_SCOPES.join(', ')})`);
  const daysText = values['expires-in-days'] as string | undefined;
  if (daysText !== undefined && !/^[1-9]\d{0,3}$/.test(daysText)) {
    throw new CliError(`--expires-in-days: "${daysText.slice(0, 20)}" is not allowed (allowed: a whole number from 1 to ${MAX_TOKEN_DAYS})`);
  }
  loadConfig(ctx.dataDir);
  const secret = wrap(() => addToken(ctx.dataDir, positionals[0], scope as TokenScope, new Date(), { expiresInDays: daysText === undefined ? undefined : Number(daysText) }));
  ctx.stdout(secret);
  const expiry = daysText === undefined ? '' : ` It expires in ${daysText} day(s).`;
  process.stderr.write(`Token "${positionals[0]}" (${scope}) created.${expiry} It is shown only this once: store it now. Use it as: Authorization: Bearer TOKEN\n`);
  return 0;
}

async function list(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { json: { type: 'boolean' } }, 'portcullis admin token list [--json]');
  loadConfig(ctx.dataDir);
  const rows = wrap(() => tokenRows(ctx.dataDir));
  if (values.json) ctx.stdout(JSON.stringify(rows, null, 2));
  else if (!rows.length) ctx.stdout('(no admin tokens; make one with: portcullis admin token add NAME --scope read-only)');
  else {
    ctx.stdout(`${'NAME'.padEnd(24)}${'SCOPE'.padEnd(12)}${'CREATED'.padEnd(26)}${'LAST USED'.padEnd(26)}EXPIRES`);
    for (const r of rows) {
      const expires = r.expiresAt ? `${r.expiresAt}${r.expired ? ' (expired)' : ''}` : 'never';
      ctx.stdout(`${r.name.padEnd(24)}${r.scope.padEnd(12)}${r.createdAt.padEnd(26)}${(r.lastUsedAt ?? 'never').padEnd(26)}${expires}`);
    }
  }
  return 0;
}

async function remove(ctx: CliContext): Promise<number> {
  const usage = 'portcullis admin token remove NAME';
  const { positionals } = parse(ctx.args, {}, usage, 1);
  if (!positionals[0]) throw new CliError(`NAME: missing (usage: ${usage})`);
  loadConfig(ctx.dataDir);
  wrap(() => removeToken(ctx.dataDir, positionals[0]));
  ctx.stdout(`Removed token "${positionals[0]}".`);
  return 0;
}

const tokenCommands: Record<string, (ctx: CliContext) => Promise<number>> = { add, list, remove };

/** `portcullis admin token VERB ...` */
async function token(ctx: CliContext): Promise<number> {
  const verb = ctx.args.shift();
  const handler = verb ? tokenCommands[verb] : undefined;
  if (!handler) throw new CliError(`admin token: ${verb ? `unknown subcommand "${verb}"` : 'missing subcommand'} (allowed: ${Object.keys(tokenCommands).join(', ')})`);
  return handler(ctx);
}

export const adminCommands = { token };
