/**
 * Admin API operations on one user beyond add/remove/password: its settings (backend pin,
 * IMAP/POP access, quota) and its app passwords. The same checks and store calls as
 * `user set` and `user app-password add|list|remove`; nothing is written on a refusal.
 */
import { MAX_APP_PASSWORDS, generateAppPassword, hashAppPassword, normalizeAppPassword, parseProtocols } from '../../auth/app-passwords.js';
import type { Account, MailStore } from '../../store/store.js';
import { APP_PASSWORD_NAME } from '../cli/app-password.js';
import { CliError } from '../cli/errors.js';
import { MAX_QUOTA_BYTES, checkBackendPin } from '../cli/user.js';
import type { ServerControl } from './control.js';
import { ApiError, address, listUsers, type UserRow } from './ops.js';

export const USER_FIELDS = ['backend', 'imapEnabled', 'popEnabled', 'quotaBytes'] as const;

async function account(store: MailStore, rawAddress: unknown): Promise<Account> {
  const a = address(rawAddress);
  const found = await store.getAccount(a);
  if (!found) throw new ApiError(404, `address: no such user ${a}`, 'address');
  return found;
}

/**
 * Changes the given fields of a user: backend (HOST[:PORT], '' or null removes the pin),
 * imapEnabled, popEnabled (booleans), quotaBytes (whole bytes, null = unlimited).
 * Every field is checked before anything is written.
 */
export async function updateUser(control: ServerControl, rawAddress: unknown, input: Record<string, unknown>): Promise<UserRow> {
  const acct = await account(control.store, rawAddress);
  const errors: Array<{ setting: string; message: string }> = [];
  const patch: Partial<Pick<Account, 'imapEnabled' | 'popEnabled' | 'quotaBytes' | 'backend'>> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'backend') {
      if (value === null) patch.backend = null;
      else if (typeof value !== 'string') errors.push({ setting: key, message: `backend: a ${typeof value} is not allowed (allowed: HOST or HOST:PORT, or '' or null to remove the pin)` });
      else {
        try {
          patch.backend = checkBackendPin(value);
        } catch (err) {
          if (!(err instanceof CliError)) throw err;
          errors.push({ setting: key, message: err.message.replace(/^--backend/, 'backend') });
        }
      }
    } else if (key === 'imapEnabled' || key === 'popEnabled') {
      if (typeof value === 'boolean') patch[key] = value;
      else errors.push({ setting: key, message: `${key}: ${JSON.stringify(value)?.slice(0, 40)} is not allowed (allowed: true or false)` });
    } else if (key === 'quotaBytes') {
      if (value === null || (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_QUOTA_BYTES)) patch.quotaBytes = value;
      else errors.push({ setting: key, message: `quotaBytes: ${JSON.stringify(value)?.slice(0, 40)} is not allowed (allowed: a whole number of bytes from 0 to ${MAX_QUOTA_BYTES}, or null for unlimited)` });
    } else {
      errors.push({ setting: key, message: `${key.slice(0, 40)}: unknown field (allowed: ${USER_FIELDS.join(', ')})` });
    }
  }
  if (!Object.keys(input).length) errors.push({ setting: '', message: `missing field (send a JSON object with any of ${USER_FIELDS.join(', ')})` });
  if (errors.length) throw new ApiError(400, errors.map((e) => e.message).join('; '), errors[0].setting, errors);
  await control.store.updateAccount(acct.id, patch);
  return (await listUsers(control)).find((u) => u.address === acct.address)!;
}

export interface AppPasswordRow {
  name: string;
  protocols: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

function appPasswordStore(store: MailStore): Required<Pick<MailStore, 'createAppPassword' | 'listAppPasswords' | 'deleteAppPassword'>> {
  if (!store.createAppPassword || !store.listAppPasswords || !store.deleteAppPassword) {
    throw new ApiError(501, `app passwords are not supported by the ${store.kind} store`);
  }
  return { createAppPassword: store.createAppPassword.bind(store), listAppPasswords: store.listAppPasswords.bind(store), deleteAppPassword: store.deleteAppPassword.bind(store) };
}

/** A user's app passwords: name, protocols, created, last used; never the secret or its hash. */
export async function listAppPasswords(control: ServerControl, rawAddress: unknown): Promise<AppPasswordRow[]> {
  const store = appPasswordStore(control.store);
  const acct = await account(control.store, rawAddress);
  return (await store.listAppPasswords(acct.id)).map((a) => ({
    name: a.name, protocols: a.protocols, createdAt: a.createdAt.toISOString(), lastUsedAt: a.lastUsedAt?.toISOString() ?? null,
  }));
}

function appPasswordName(raw: unknown): string {
  if (typeof raw !== 'string' || !APP_PASSWORD_NAME.test(raw)) {
    throw new ApiError(400, `name: ${raw === undefined ? 'missing' : 'not allowed'} (allowed: 1 to 64 letters, digits, ".", "_", "-")`, 'name');
  }
  return raw;
}

/** Makes an app password and returns it with its secret: the only time the secret is shown. */
export async function addAppPassword(control: ServerControl, rawAddress: unknown, rawName: unknown, rawProtocols: unknown): Promise<AppPasswordRow & { password: string }> {
  const store = appPasswordStore(control.store);
  const acct = await account(control.store, rawAddress);
  const name = appPasswordName(rawName);
  const list = Array.isArray(rawProtocols) && rawProtocols.every((p) => typeof p === 'string') ? rawProtocols.join(',') : typeof rawProtocols === 'string' ? rawProtocols : null;
  if (list === null) throw new ApiError(400, 'protocols: missing (allowed: a list of imap4, pop3, smtp)', 'protocols');
  let protocols: string[];
  try {
    protocols = parseProtocols(list);
  } catch (err) {
    throw new ApiError(400, (err as Error).message.replace(/^--protocols/, 'protocols'), 'protocols');
  }
  const existing = await store.listAppPasswords(acct.id);
  if (existing.some((a) => a.name === name)) throw new ApiError(409, `name: ${name} already exists for ${acct.address} (allowed: a new name; remove the old one first)`, 'name');
  if (existing.length >= MAX_APP_PASSWORDS) throw new ApiError(409, `name: ${acct.address} already has ${MAX_APP_PASSWORDS} app passwords (the most allowed); remove one first`, 'name');
  const password = generateAppPassword();
  const record = await store.createAppPassword(acct.id, name, hashAppPassword(normalizeAppPassword(password)!), protocols);
  return { name: record.name, protocols: record.protocols, createdAt: record.createdAt.toISOString(), lastUsedAt: null, password };
}

export async function removeAppPassword(control: ServerControl, rawAddress: unknown, rawName: unknown): Promise<void> {
  const store = appPasswordStore(control.store);
  const acct = await account(control.store, rawAddress);
  const name = appPasswordName(rawName);
  if (!(await store.deleteAppPassword(acct.id, name))) throw new ApiError(404, `name: ${acct.address} has no app password named ${name}`, 'name');
}
