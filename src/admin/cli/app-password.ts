/**
 * `portcullis user app-password add ADDRESS --name N --protocols imap4,pop3,smtp` (prints the
 * generated password once), `... list ADDRESS [--json]`, `... remove ADDRESS NAME`.
 * Stored as argon2id hashes in the store (MailStore app-password methods).
 */
import { MAX_APP_PASSWORDS, generateAppPassword, hashAppPassword, normalizeAppPassword, parseProtocols } from '../../auth/app-passwords.js';
import { loadConfig } from '../../config/config.js';
import { openStore } from '../../store/open.js';
import type { Account, MailStore } from '../../store/store.js';
import { parse } from './args.js';
import { CliError, type CliContext } from './errors.js';
import { checkAddress } from './user.js';

export const APP_PASSWORD_NAME = /^[A-Za-z0-9._-]{1,64}$/;

async function withAccount<T>(ctx: CliContext, address: string, fn: (store: MailStore, account: Account) => Promise<T>): Promise<T> {
  const store = await openStore(ctx.dataDir, loadConfig(ctx.dataDir));
  try {
    if (!store.createAppPassword || !store.listAppPasswords || !store.deleteAppPassword) {
      throw new CliError(`app passwords are not supported by the ${store.kind} store`);
    }
    const account = await store.getAccount(address);
    if (!account) throw new CliError(`ADDRESS: no such user ${address} (allowed: an existing user; see 'user list')`);
    return await fn(store, account);
  } finally {
    await store.close();
  }
}

async function add(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user app-password add ADDRESS --name NAME --protocols imap4,pop3,smtp';
  const { values, positionals } = parse(ctx.args, { name: { type: 'string' }, protocols: { type: 'string' } }, usage, 1);
  const address = checkAddress(positionals[0], usage);
  const name = values.name;
  if (typeof name !== 'string' || !APP_PASSWORD_NAME.test(name)) throw new CliError(`--name: missing or not allowed (allowed: 1 to 64 letters, digits, ".", "_", "-"; usage: ${usage})`);
  if (typeof values.protocols !== 'string') throw new CliError(`--protocols: missing (allowed: a comma-separated list of imap4, pop3, smtp; usage: ${usage})`);
  let protocols;
  try {
    protocols = parseProtocols(values.protocols);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const password = generateAppPassword();
  const hash = hashAppPassword(normalizeAppPassword(password)!);
  await withAccount(ctx, address, async (store, account) => {
    const existing = await store.listAppPasswords!(account.id);
    if (existing.some((a) => a.name === name)) throw new CliError(`--name: ${name} already exists for ${address} (allowed: a new name; remove the old one first)`);
    if (existing.length >= MAX_APP_PASSWORDS) throw new CliError(`${address} already has ${MAX_APP_PASSWORDS} app passwords (the most allowed); remove one first`);
    await store.createAppPassword!(account.id, name, hash, protocols);
  });
  ctx.stdout(`App password "${name}" for ${address} (${protocols.join(', ')}):\n\n    ${password}\n\nIt is shown only this once.`);
  return 0;
}

async function list(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user app-password list ADDRESS [--json]';
  const { values, positionals } = parse(ctx.args, { json: { type: 'boolean' } }, usage, 1);
  const address = checkAddress(positionals[0], usage);
  const rows = await withAccount(ctx, address, async (store, account) => (await store.listAppPasswords!(account.id)).map((a) => ({
    name: a.name, protocols: a.protocols, createdAt: a.createdAt.toISOString(), lastUsedAt: a.lastUsedAt?.toISOString() ?? null,
  })));
  if (values.json) ctx.stdout(JSON.stringify(rows, null, 2));
  else if (!rows.length) ctx.stdout('(no app passwords)');
  else for (const r of rows) ctx.stdout(`${r.name}  protocols=${r.protocols.join(',')}  created=${r.createdAt}  last-used=${r.lastUsedAt ?? 'never'}`);
  return 0;
}

async function remove(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user app-password remove ADDRESS NAME';
  const { positionals } = parse(ctx.args, {}, usage, 2);
  const address = checkAddress(positionals[0], usage);
  const name = positionals[1];
  if (!name || !APP_PASSWORD_NAME.test(name)) throw new CliError(`NAME: missing or not allowed (usage: ${usage})`);
  await withAccount(ctx, address, async (store, account) => {
    if (!(await store.deleteAppPassword!(account.id, name))) throw new CliError(`NAME: ${address} has no app password named ${name} (see 'user app-password list ${address}')`);
  });
  ctx.stdout(`Removed app password "${name}" of ${address}.`);
  return 0;
}

const verbs: Record<string, (ctx: CliContext) => Promise<number>> = { add, list, remove };

/** `user app-password VERB ...` */
export async function appPasswordCommand(ctx: CliContext): Promise<number> {
  const verb = ctx.args.shift();
  const handler = verb ? verbs[verb] : undefined;
  if (!handler) throw new CliError(`user app-password: ${verb ? `unknown subcommand "${verb}"` : 'missing subcommand'} (allowed: add, list, remove)`);
  return handler(ctx);
}
