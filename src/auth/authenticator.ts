/**
 * The authenticator: every password login of every protocol goes through here, in this order:
 *   1. login policy (LoginType): refused attempts are refused before anything is looked up;
 *   2. throttling: a blocked client network is refused without verification;
 *   3. look-up and verification, with the same cost for an unknown user (a dummy hash);
 *   4. account switches (imapEnabled/popEnabled), authorization identity, rehash if needed.
 * Every attempt is logged as one structured event; the secret never is.
 */
import type { Logger } from '../core/log.js';
import type { Account, MailStore } from '../store/store.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { mechanismAllowed, policyRefusalMessage } from './policy.js';
import { SASL_MECHANISMS, isPasswordMechanism } from './sasl/index.js';
import { MemoryThrottle, type FailureThrottle } from './throttle.js';
import type { AuthFailureReason, AuthResult, Authenticator, LoginContext, LoginType, PasswordAttempt, Protocol } from './types.js';

/** The store methods the authenticator uses (a local directory in the store). */
export type AccountDirectory = Pick<MailStore, 'getAccount' | 'updateAccount'>;

export interface AuthenticatorOptions {
  store: AccountDirectory;
  loginTypes: () => Record<Protocol, LoginType>;
  logger: Logger;
  /** Failure throttling; default: an in-memory throttle with the default policy. */
  throttle?: FailureThrottle;
  /** How failure delays are waited for (tests pass a recorder). */
  delay?: (ms: number) => Promise<void>;
  /** Told of every attempt, success or failure (the always-on security log). Must not throw. */
  onAttempt?: (ctx: LoginContext, attempt: { username: string; mechanism: string }, outcome: { ok: true } | { ok: false; reason: AuthFailureReason }) => void;
}

const MAX_USERNAME = 320;
const MAX_PASSWORD = 1024;

/** A user name fit for a log line: no control characters, bounded length. */
export function sanitiseUsername(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > 64 ? clean.slice(0, 64) + '…' : clean;
}

const PROTOCOL_NAMES: Record<Protocol, string> = { imap4: 'IMAP', pop3: 'POP3', smtp: 'SMTP' };

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const throttle = opts.throttle ?? new MemoryThrottle();
  const delay = opts.delay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
  const log = opts.logger.child({ component: 'auth' });
  let dummyHash: Promise<string> | null = null;
  const dummy = (): Promise<string> => (dummyHash ??= hashPassword(`dummy-${Math.random()}`));

  const loginTypeOf = (protocol: Protocol): LoginType => {
    try {
      return opts.loginTypes()[protocol] ?? 'SecureLogin';
    } catch {
      return 'SecureLogin';
    }
  };

  const record = (ctx: LoginContext, attempt: PasswordAttempt, result: 'success' | 'failure', reason?: AuthFailureReason): void => {
    const fields = {
      protocol: ctx.protocol, session: ctx.sessionId, port: ctx.localPort, client: ctx.remoteAddress,
      secure: ctx.secure, tlsVersion: ctx.tlsVersion, tlsCipher: ctx.tlsCipher,
      user: sanitiseUsername(attempt.username), mechanism: attempt.mechanism, result,
      ...(reason ? { reason } : {}),
    };
    if (result === 'success' && !ctx.secure) log.warn('auth-insecure-login', fields);
    else log.info('auth', fields);
    try {
      opts.onAttempt?.(ctx, { username: attempt.username, mechanism: attempt.mechanism }, result === 'success' ? { ok: true } : { ok: false, reason: reason ?? 'credentials' });
    } catch (err) {
      log.error('auth-event-error', { err: err instanceof Error ? err : new Error(String(err)) });
    }
  };

  const fail = (ctx: LoginContext, attempt: PasswordAttempt, reason: AuthFailureReason, message: string): AuthResult => {
    record(ctx, attempt, 'failure', reason);
    return { ok: false, reason, message };
  };

  async function authenticatePassword(ctx: LoginContext, attempt: PasswordAttempt): Promise<AuthResult> {
    // 1. Policy, before anything else.
    if (!mechanismAllowed(loginTypeOf(ctx.protocol), ctx.secure, isPasswordMechanism(saslName(attempt.mechanism)))) {
      return fail(ctx, attempt, 'policy', policyRefusalMessage(loginTypeOf(ctx.protocol)));
    }
    const username = attempt.username;
    const key = username.toLowerCase();
    // 2. Throttling.
    let check;
    try {
      check = await throttle.check(ctx.remoteAddress, key);
    } catch (err) {
      log.error('throttle-error', { err: err instanceof Error ? err : new Error(String(err)) });
      check = { allowed: true, retryAfterMs: 0 };
    }
    if (!check.allowed) {
      const minutes = Math.max(1, Math.ceil(check.retryAfterMs / 60_000));
      return fail(ctx, attempt, 'throttled', `Too many failed logins from your network; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`);
    }
    // 3. Look-up and verification at equal cost.
    const wellFormed = username.length > 0 && username.length <= MAX_USERNAME && attempt.password.length <= MAX_PASSWORD
      && !/[\x00-\x1f\x7f]/.test(username);
    let account: Account | null = null;
    if (wellFormed) {
      try {
        account = await opts.store.getAccount(key);
      } catch (err) {
        log.error('directory-error', { err: err instanceof Error ? err : new Error(String(err)) });
        return fail(ctx, attempt, 'unavailable', 'The account directory is temporarily unavailable; try again later');
      }
    }
    const stored = account?.passwordHash ?? null;
    const matches = await verifyPassword(stored ?? (await dummy()), wellFormed ? attempt.password : '');
    if (!account || stored === null || !matches || !wellFormed) {
      let ms = 0;
      try {
        ms = await throttle.recordFailure(ctx.remoteAddress, key);
      } catch (err) {
        log.error('throttle-error', { err: err instanceof Error ? err : new Error(String(err)) });
      }
      if (ms > 0) await delay(ms);
      return fail(ctx, attempt, 'credentials', 'Authentication failed');
    }
    // 4. What the verified user may do.
    const authz = attempt.authzid ?? '';
    if (authz !== '' && authz.toLowerCase() !== key && authz.toLowerCase() !== account.address) {
      return fail(ctx, attempt, 'authz', 'Authorization as another user is not allowed');
    }
    if ((ctx.protocol === 'imap4' && !account.imapEnabled) || (ctx.protocol === 'pop3' && !account.popEnabled)) {
      return fail(ctx, attempt, 'disabled', `${PROTOCOL_NAMES[ctx.protocol]} access is disabled for this account`);
    }
    try {
      await throttle.recordSuccess(ctx.remoteAddress, key);
    } catch (err) {
      log.error('throttle-error', { err: err instanceof Error ? err : new Error(String(err)) });
    }
    if (needsRehash(stored)) {
      try {
        await opts.store.updateAccount(account.id, { passwordHash: await hashPassword(attempt.password) });
        log.info('password-rehashed', { user: sanitiseUsername(account.address), session: ctx.sessionId });
      } catch (err) {
        log.warn('password-rehash-failed', { user: sanitiseUsername(account.address), err: err instanceof Error ? err : new Error(String(err)) });
      }
    }
    record(ctx, attempt, 'success');
    return { ok: true, account, mechanism: attempt.mechanism, insecure: !ctx.secure };
  }

  return {
    authenticatePassword: async (ctx, attempt) => {
      try {
        return await authenticatePassword(ctx, attempt);
      } catch (err) {
        log.error('auth-error', { session: ctx.sessionId, err: err instanceof Error ? err : new Error(String(err)) });
        return { ok: false, reason: 'unavailable', message: 'Authentication is temporarily unavailable; try again later' };
      }
    },
    passwordLoginAllowed: (ctx) => mechanismAllowed(loginTypeOf(ctx.protocol), ctx.secure, true),
    mechanisms: (ctx) => SASL_MECHANISMS
      .filter((m) => mechanismAllowed(loginTypeOf(ctx.protocol), ctx.secure, m.passwordBased))
      .map((m) => m.name),
  };
}

/** Maps an attempt's mechanism label ("LOGIN" command, "USER", "LOGIN-SASL", "PLAIN") to a SASL name. */
function saslName(mechanism: string): string {
  const m = mechanism.toUpperCase();
  if (m === 'LOGIN-SASL' || m === 'USER') return 'LOGIN';
  return m;
}
