import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { loadConfig } from '../../config/config.js';
import { openStore } from '../../store/open.js';
import { hashPassword } from '../../auth/passwords.js';
import type { Account, MailStore } from '../../store/store.js';
import { parseTarget } from '../../frontend/router.js';

const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 1024;

export function checkAddress(address: string | undefined, usage: string): string {
  if (!address) throw new CliError(`ADDRESS: missing (usage: ${usage})`);
  if (!ADDRESS.test(address) || address.length > 254) {
    throw new CliError(`ADDRESS: "${address}" is not allowed (allowed: an email address such as alice@example.org)`);
  }
  return address.toLowerCase();
}

async function readPassword(ctx: CliContext, usage: string, given: boolean | string | undefined): Promise<string> {
  if (!given) throw new CliError(`--password-stdin: missing (usage: ${usage}; the password is read from standard input so it never appears in a process list)`);
  const raw = (await ctx.readStdin()).toString('utf8').replace(/\r?\n$/, '');
  if (raw.length < MIN_PASSWORD || raw.length > MAX_PASSWORD || /[\0\r\n]/.test(raw)) {
    throw new CliError(`--password-stdin: password not allowed (allowed: ${MIN_PASSWORD} to ${MAX_PASSWORD} characters on one line, no NUL)`);
  }
  return raw;
}

async function withStore<T>(ctx: CliContext, fn: (store: MailStore) => Promise<T>): Promise<T> {
  const store = await openStore(ctx.dataDir, loadConfig(ctx.dataDir));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function add(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user add ADDRESS --password-stdin';
  const { values, positionals } = parse(ctx.args, { 'password-stdin': { type: 'boolean' } }, usage, 1);
  const address = checkAddress(positionals[0], usage);
  loadConfig(ctx.dataDir); // refuse before reading the password when there is no data dir
  const password = await readPassword(ctx, usage, values['password-stdin']);
  const hash = await hashPassword(password);
  await withStore(ctx, async (store) => {
    if (await store.getAccount(address)) throw new CliError(`ADDRESS: ${address} already exists (allowed: a new address; to change its password use 'user passwd')`);
    await store.createAccount(address, hash);
  });
  ctx.stdout(`Added ${address} with mailboxes INBOX, Drafts, Sent, Trash, Junk, Archive.`);
  return 0;
}

async function passwd(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user passwd ADDRESS --password-stdin';
  const { values, positionals } = parse(ctx.args, { 'password-stdin': { type: 'boolean' } }, usage, 1);
  const address = checkAddress(positionals[0], usage);
  loadConfig(ctx.dataDir);
  const password = await readPassword(ctx, usage, values['password-stdin']);
  const hash = await hashPassword(password);
  await withStore(ctx, async (store) => {
    const account = await store.getAccount(address);
    if (!account) throw new CliError(`ADDRESS: no such user ${address} (allowed: an existing user; see 'user list')`);
    await store.updateAccount(account.id, { passwordHash: hash });
  });
  ctx.stdout(`Changed the password of ${address}.`);
  return 0;
}

async function list(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { json: { type: 'boolean' } }, 'portcullis user list [--json]');
  const rows = await withStore(ctx, async (store) => {
    const out = [];
    for (const a of await store.listAccounts()) {
      out.push({ address: a.address, imapEnabled: a.imapEnabled, popEnabled: a.popEnabled, quotaBytes: a.quotaBytes, backend: a.backend ?? null, usedBytes: await store.usedBytes(a.id), createdAt: a.createdAt.toISOString() });
    }
    return out;
  });
  if (values.json) ctx.stdout(JSON.stringify(rows, null, 2));
  else if (!rows.length) ctx.stdout('(no users)');
  else for (const r of rows) ctx.stdout(`${r.address}  imap=${r.imapEnabled ? 'on' : 'off'} pop=${r.popEnabled ? 'on' : 'off'} quota=${r.quotaBytes ?? 'unlimited'} used=${r.usedBytes}${r.backend ? ` backend=${r.backend}` : ''}`);
  return 0;
}

/** A backend pin as `user set --backend` takes it: HOST[:PORT], or '' (null: remove the pin). Shared with the admin API. */
export function checkBackendPin(given: string): string | null {
  const backend = given.trim();
  if (backend && (backend.length > 300 || !parseTarget(backend, 1))) {
    throw new CliError(`--backend: "${backend.slice(0, 300)}" is not allowed (allowed: HOST or HOST:PORT, IPv6 in brackets such as [2001:db8::5]:1993, or '' to remove the pin)`);
  }
  return backend || null;
}

/** The largest quota accepted (1 PiB), by `user set --quota` and the admin API. */
export const MAX_QUOTA_BYTES = 2 ** 50;

function onOff(flag: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === 'on') return true;
  if (v === 'false' || v === 'off') return false;
  throw new CliError(`${flag}: "${raw.slice(0, 20)}" is not allowed (allowed: true or false)`);
}

function quota(raw: string): number | null {
  const v = raw.trim().toLowerCase();
  if (v === 'unlimited') return null;
  if (!/^\d{1,16}$/.test(v) || Number(v) > MAX_QUOTA_BYTES) throw new CliError(`--quota: "${raw.slice(0, 20)}" is not allowed (allowed: a whole number of bytes from 0 to ${MAX_QUOTA_BYTES}, or unlimited)`);
  return Number(v);
}

/**
 * user set ADDRESS [--backend HOST[:PORT]] [--imap-enabled true|false] [--pop-enabled true|false]
 * [--quota BYTES|unlimited]. --backend pins the user to one backend (frontends hand them there
 * only; without a port each protocol's proxy-target-port applies); --backend '' removes the pin,
 * as empty values clear settings elsewhere in the CLI. Every value is checked before any is written.
 */
async function set(ctx: CliContext): Promise<number> {
  const usage = "portcullis user set ADDRESS [--backend HOST[:PORT]] [--imap-enabled true|false] [--pop-enabled true|false] [--quota BYTES|unlimited] (--backend '' removes the pin)";
  const { values, positionals } = parse(ctx.args, {
    backend: { type: 'string' }, 'imap-enabled': { type: 'string' }, 'pop-enabled': { type: 'string' }, quota: { type: 'string' },
  }, usage, 1);
  const address = checkAddress(positionals[0], usage);
  const patch: Partial<Pick<Account, 'imapEnabled' | 'popEnabled' | 'quotaBytes' | 'backend'>> = {};
  const said: string[] = [];
  if (typeof values.backend === 'string') {
    patch.backend = checkBackendPin(values.backend);
    said.push(patch.backend ? `Pinned ${address} to backend ${patch.backend}.` : `Removed the backend pin of ${address}.`);
  }
  if (typeof values['imap-enabled'] === 'string') {
    patch.imapEnabled = onOff('--imap-enabled', values['imap-enabled']);
    said.push(`IMAP ${patch.imapEnabled ? 'enabled' : 'disabled'} for ${address}.`);
  }
  if (typeof values['pop-enabled'] === 'string') {
    patch.popEnabled = onOff('--pop-enabled', values['pop-enabled']);
    said.push(`POP3 ${patch.popEnabled ? 'enabled' : 'disabled'} for ${address}.`);
  }
  if (typeof values.quota === 'string') {
    patch.quotaBytes = quota(values.quota);
    said.push(`Quota of ${address}: ${patch.quotaBytes === null ? 'unlimited' : `${patch.quotaBytes} bytes`}.`);
  }
  if (!said.length) throw new CliError(`--backend: missing (give at least one of --backend, --imap-enabled, --pop-enabled, --quota; usage: ${usage})`);
  await withStore(ctx, async (store) => {
    const account = await store.getAccount(address);
    if (!account) throw new CliError(`ADDRESS: no such user ${address} (allowed: an existing user; see 'user list')`);
    await store.updateAccount(account.id, patch);
  });
  for (const line of said) ctx.stdout(line);
  return 0;
}

async function remove(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user remove ADDRESS';
  const { positionals } = parse(ctx.args, {}, usage, 1);
  const address = checkAddress(positionals[0], usage);
  await withStore(ctx, async (store) => {
    const account = await store.getAccount(address);
    if (!account) throw new CliError(`ADDRESS: no such user ${address} (allowed: an existing user; see 'user list')`);
    await store.deleteAccount(account.id);
  });
  ctx.stdout(`Removed ${address} and all its mail.`);
  return 0;
}

export const userCommands = { add, passwd, set, list, remove };
