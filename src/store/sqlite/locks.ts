/** Named locks with an expiry, so a lock dies with a holder that stops renewing it (POP3 maildrop). */
import { MailError } from '../../core/errors.js';
import type { Ctx } from './context.js';

function check(name: string, holder: string, ttlMs: number): void {
  if (!name || !holder) throw new MailError('BADINPUT', 'lock name and holder must not be empty');
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new MailError('BADINPUT', 'lock ttl must be positive');
}

export function tryLock(ctx: Ctx, name: string, holder: string, ttlMs: number): boolean {
  check(name, holder, ttlMs);
  return ctx.write(() => {
    const now = Date.now();
    const r = ctx.stmt('SELECT holder, expires_at FROM locks WHERE name = ?').get(name) as { holder: string; expires_at: number } | undefined;
    if (r && r.holder !== holder && r.expires_at > now) return false;
    ctx.stmt('INSERT INTO locks (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at')
      .run(name, holder, now + ttlMs);
    return true;
  });
}

export function renewLock(ctx: Ctx, name: string, holder: string, ttlMs: number): boolean {
  check(name, holder, ttlMs);
  return ctx.write(() => ctx.stmt('UPDATE locks SET expires_at = ? WHERE name = ? AND holder = ?').run(Date.now() + ttlMs, name, holder).changes === 1);
}

export function unlock(ctx: Ctx, name: string, holder: string): void {
  ctx.write(() => { ctx.stmt('DELETE FROM locks WHERE name = ? AND holder = ?').run(name, holder); });
}
