import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { loadConfig } from '../../config/config.js';
import { openStore } from '../../store/open.js';
import { hashPassword, hashScheme, splitStoredSecret } from '../../auth/passwords.js';
import type { Account, MailStore } from '../../store/store.js';
import { parseTarget } from '../../frontend/router.js';
import { readFileSync } from 'node:fs';
import { checkImportedHash, parsePasswdFile } from './hash-import.js';

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

/**
 * The stored secret from standard input: a password (--password-stdin, hashed here with argon2id)
 * or an imported Dovecot-style hash (--hash-stdin, see hash-import.ts), never both.
 */
async function readSecret(ctx: CliContext, usage: string, values: Record<string, string | boolean | undefined>): Promise<string> {
  if (values['password-stdin'] && values['hash-stdin']) throw new CliError(`--hash-stdin: not allowed together with --password-stdin (usage: ${usage})`);
  if (!values['hash-stdin']) return hashPassword(await readPassword(ctx, usage, values['password-stdin']));
  const raw = (await ctx.readStdin()).toString('utf8').replace(/\r?\n$/, '');
  try {
    return checkImportedHash(raw);
  } catch (err) {
    throw new CliError(`--hash-stdin: ${(err as Error).message}`);
  }
}

const SECRET_OPTIONS = { 'password-stdin': { type: 'boolean' }, 'hash-stdin': { type: 'boolean' } } as const;

async function add(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user add ADDRESS --password-stdin | --hash-stdin';
  const { values, positionals } = parse(ctx.args, SECRET_OPTIONS, usage, 1);
  const address = checkAddress(positionals[0], usage);
  loadConfig(ctx.dataDir); // refuse before reading the password when there is no data dir
  const hash = await readSecret(ctx, usage, values);
  await withStore(ctx, async (store) => {
    if (await store.getAccount(address)) throw new CliError(`ADDRESS: ${address} already exists (allowed: a new address; to change its password use 'user passwd')`);
    await store.createAccount(address, hash);
  });
  ctx.stdout(`Added ${address} with mailboxes INBOX, Drafts, Sent, Trash, Junk, Archive.`);
  return 0;
}

async function passwd(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user passwd ADDRESS --password-stdin | --hash-stdin';
  const { values, positionals } = parse(ctx.args, SECRET_OPTIONS, usage, 1);
  const address = checkAddress(positionals[0], usage);
  loadConfig(ctx.dataDir);
  const hash = await readSecret(ctx, usage, values);
  await withStore(ctx, async (store) => {
    const account = await store.getAccount(address);
    if (!account) throw new CliError(`ADDRESS: no such user ${address} (allowed: an existing user; see 'user list')`);
    await store.updateAccount(account.id, { passwordHash: hash });
  });
  ctx.stdout(`Changed the password of ${address}.`);
  return 0;
}

/**
 * user import-passwd FILE [--domain DOMAIN] [--skip-bad]: creates one account per line of a
 * Dovecot passwd-file, keeping its hash. Every line is checked first; without --skip-bad a single
 * bad line (or an address that already exists) imports nothing and lists the problems with their
 * line numbers. With --skip-bad the good lines are imported and the bad ones reported.
 */
async function importPasswd(ctx: CliContext): Promise<number> {
  const usage = 'portcullis user import-passwd FILE [--domain DOMAIN] [--skip-bad]';
  const { values, positionals } = parse(ctx.args, { domain: { type: 'string' }, 'skip-bad': { type: 'boolean' } }, usage, 1);
  const file = positionals[0];
  if (!file) throw new CliError(`FILE: missing (usage: ${usage})`);
  const domain = values.domain === undefined ? null : String(values.domain).toLowerCase();
  if (domain !== null && !ADDRESS.test(`x@${domain}`)) throw new CliError(`--domain: "${domain.slice(0, 100)}" is not allowed (allowed: a domain such as example.org)`);
  loadConfig(ctx.dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const { entries, problems } = parsePasswdFile(text, domain, (a) => checkAddress(a, usage));
  const imported: string[] = [];
  await withStore(ctx, async (store) => {
    const fresh = [];
    for (const e of entries) {
      if (await store.getAccount(e.address)) problems.push({ line: e.line, message: `${e.address}: already exists (change it with 'user passwd ${e.address} --hash-stdin')` });
      else fresh.push(e);
    }
    problems.sort((a, b) => a.line - b.line);
    if (problems.length && !values['skip-bad']) {
      throw new CliError(`FILE: ${problems.length} bad line${problems.length === 1 ? '' : 's'} in ${file}, nothing imported (--skip-bad imports the others):\n`
        + problems.map((p) => `  line ${p.line}: ${p.message}`).join('\n'));
    }
    for (const e of fresh) {
      await store.createAccount(e.address, e.hash);
      imported.push(e.address);
    }
  });
  ctx.stdout(`Imported ${imported.length} user${imported.length === 1 ? '' : 's'} from ${file}${problems.length ? `; skipped ${problems.length} bad line${problems.length === 1 ? '' : 's'}:` : '.'}`);
  for (const p of problems) ctx.stdout(`  line ${p.line}: ${p.message}`);
  return 0;
}

/**
 * How the password is stored, never the hash: "argon2id" (a native hash), an imported scheme such
 * as "SHA512-CRYPT" (replaced by argon2id at the user's next password login), or null (no password:
 * a directory user, or one that logs in only with a certificate or token).
 */
function passwordSchemeOf(stored: string | null): string | null {
  if (stored === null) return null;
  const hash = splitStoredSecret(stored).hash;
  return hash.startsWith('$argon2id$') ? 'argon2id' : hashScheme(hash).scheme;
}

async function list(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { json: { type: 'boolean' } }, 'portcullis user list [--json]');
  const rows = await withStore(ctx, async (store) => {
    const out = [];
    for (const a of await store.listAccounts()) {
      out.push({ address: a.address, imapEnabled: a.imapEnabled, popEnabled: a.popEnabled, quotaBytes: a.quotaBytes, backend: a.backend ?? null, passwordScheme: passwordSchemeOf(a.passwordHash), usedBytes: await store.usedBytes(a.id), createdAt: a.createdAt.toISOString() });
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
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new CliError(`${flag}: "${raw.slice(0, 20)}" is not allowed (allowed: true, false)`);
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
 * (With the LDAP directory the switches and quota come from the directory and are overwritten at
 * the user's next login.)
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
    said.push(`IMAP access for ${address}: ${patch.imapEnabled ? 'enabled' : 'disabled'}.`);
  }
  if (typeof values['pop-enabled'] === 'string') {
    patch.popEnabled = onOff('--pop-enabled', values['pop-enabled']);
    said.push(`POP3 access for ${address}: ${patch.popEnabled ? 'enabled' : 'disabled'}.`);
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

export const userCommands = { add, passwd, set, list, remove, 'import-passwd': importPasswd };
