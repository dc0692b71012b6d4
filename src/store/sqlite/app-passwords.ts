/** App passwords (schema migration 3): per-user secrets limited to protocols, stored hashed. */
import { MailError } from '../../core/errors.js';
import type { AppPasswordRecord } from '../store.js';
import type { Ctx } from './context.js';

interface Row {
  id: number;
  account_id: number;
  name: string;
  password_hash: string;
  protocols: string;
  created_at: number;
  last_used_at: number | null;
}

function toRecord(r: Row): AppPasswordRecord {
  return {
    id: r.id, accountId: r.account_id, name: r.name, passwordHash: r.password_hash,
    protocols: r.protocols.split(',').filter(Boolean), createdAt: new Date(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at),
  };
}

export function createAppPassword(ctx: Ctx, accountId: number, name: string, passwordHash: string, protocols: string[]): AppPasswordRecord {
  if (name.length === 0 || name.length > 64 || /[\s\x00-\x1f\x7f,]/.test(name)) throw new MailError('BADINPUT', 'app password name: 1 to 64 characters, no spaces or commas');
  return ctx.write(() => {
    if (!ctx.stmt('SELECT 1 FROM accounts WHERE id = ?').get(accountId)) throw new MailError('NONEXISTENT', 'no such account');
    if (ctx.stmt('SELECT 1 FROM app_passwords WHERE account_id = ? AND name = ?').get(accountId, name)) {
      throw new MailError('ALREADYEXISTS', `an app password named ${name} already exists`);
    }
    const id = Number(ctx.stmt('INSERT INTO app_passwords (account_id, name, password_hash, protocols, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(accountId, name, passwordHash, protocols.join(','), Date.now()).lastInsertRowid);
    return toRecord(ctx.stmt('SELECT * FROM app_passwords WHERE id = ?').get(id) as Row);
  });
}

export function listAppPasswords(ctx: Ctx, accountId: number): AppPasswordRecord[] {
  return (ctx.stmt('SELECT * FROM app_passwords WHERE account_id = ? ORDER BY name').all(accountId) as Row[]).map(toRecord);
}

export function deleteAppPassword(ctx: Ctx, accountId: number, name: string): boolean {
  return ctx.write(() => ctx.stmt('DELETE FROM app_passwords WHERE account_id = ? AND name = ?').run(accountId, name).changes > 0);
}

export function touchAppPassword(ctx: Ctx, id: number, at: Date): void {
  ctx.write(() => ctx.stmt('UPDATE app_passwords SET last_used_at = ? WHERE id = ?').run(at.getTime(), id));
}
