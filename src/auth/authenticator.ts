/**
 * The authenticator: every login of every protocol goes through here, in this order:
 *   1. login policy (LoginType): refused attempts are refused before anything is looked up;
 *   2. throttling: a blocked client network is refused without verification;
 *   3. look-up and verification, with the same cost for an unknown user (a dummy hash, fake
 *      SCRAM salts); passwords against the local hash, then app passwords, or an external
 *      directory (LDAP); SCRAM proofs and bearer tokens are verified by their mechanism;
 *   4. authorization identity (only master users may act as another user), account switches
 *      (imapEnabled/popEnabled), rehash if needed.
 * Every attempt is logged as one structured event; the secret never is.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from '../core/log.js';
import { DirectoryUnavailableError, type Directory, type DirectoryEntry } from '../directory/types.js';
import type { Account, MailStore } from '../store/store.js';
import { MAX_APP_PASSWORDS, hashAppPassword, normalizeAppPassword, verifyAppPassword } from './app-passwords.js';

/** Stands in for the app passwords an account does not have (same work per slot). */
const APP_PASSWORD_PAD = hashAppPassword('padding-never-matches');
import { verifyJwt, type OAuthSettings } from './jwt.js';
import { hashPassword, needsRehash, refusedWeakScheme, scramIterationsSetting, scramKeysOf, verifyPassword } from './passwords.js';
import { mechanismAllowed, policyRefusalMessage } from './policy.js';
import { startSaslExchange, type SaslHooks } from './sasl-exchange.js';
import { SASL_MECHANISMS, isPasswordMechanism, type SaslMechanismInfo } from './sasl/index.js';
import { hmac, sha256, type ScramKeys } from './scram.js';
import { MemoryThrottle, type FailureThrottle } from './throttle.js';
import type { AuthFailureReason, AuthResult, Authenticator, LoginContext, LoginType, PasswordAttempt, Protocol } from './types.js';

/** The store methods the authenticator uses (a local directory in the store). */
export type AccountDirectory = Pick<MailStore, 'getAccount' | 'updateAccount'>
  & Partial<Pick<MailStore, 'createAccount' | 'listAppPasswords' | 'touchAppPassword'>>;

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
  /** Addresses that may log in as any user (SASL authzid / "user*master" is not supported). */
  masterUsers?: () => readonly string[];
  /** Bearer-token issuers for OAUTHBEARER/XOAUTH2; null or no issuers: not offered. */
  oauth?: () => OAuthSettings | null;
  /** An external directory (LDAP) that verifies passwords instead of the local hashes. */
  directory?: Directory;
  /** Key for fake SCRAM salts of unknown users (default: random per process). */
  secret?: Buffer;
  /**
   * SASL EXTERNAL: which certificate field names the account, or null when client certificates
   * are off (client-certificate-ca-file empty). Default: off.
   */
  clientCertificates?: () => { identity: 'email' | 'common-name' } | null;
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

type Who = { username: string; mechanism: string; authzid?: string };

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const throttle = opts.throttle ?? new MemoryThrottle();
  const delay = opts.delay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
  const log = opts.logger.child({ component: 'auth' });
  const secret = opts.secret ?? randomBytes(32);
  let dummyHash: Promise<string> | null = null;
  const dummy = (): Promise<string> => (dummyHash ??= hashPassword(`dummy-${Math.random()}`, { scram: false }));
  const errOf = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

  const loginTypeOf = (protocol: Protocol): LoginType => {
    try {
      return opts.loginTypes()[protocol] ?? 'SecureLogin';
    } catch {
      return 'SecureLogin';
    }
  };
  const oauth = (): OAuthSettings | null => {
    try {
      const o = opts.oauth?.() ?? null;
      return o && o.issuers.length > 0 ? o : null;
    } catch {
      return null;
    }
  };
  const isMaster = (address: string): boolean => {
    try {
      return (opts.masterUsers?.() ?? []).some((m) => m.toLowerCase() === address);
    } catch {
      return false;
    }
  };

  const record = (ctx: LoginContext, who: Who, result: 'success' | 'failure', reason?: AuthFailureReason, extra: Record<string, unknown> = {}): void => {
    const fields = {
      protocol: ctx.protocol, session: ctx.sessionId, port: ctx.localPort, client: ctx.remoteAddress,
      secure: ctx.secure, tlsVersion: ctx.tlsVersion, tlsCipher: ctx.tlsCipher,
      user: sanitiseUsername(who.username), mechanism: who.mechanism, result,
      ...(who.authzid ? { authzid: sanitiseUsername(who.authzid) } : {}),
      ...(reason ? { reason } : {}), ...extra,
    };
    if (result === 'success' && !ctx.secure) log.warn('auth-insecure-login', fields);
    else log.info('auth', fields);
    try {
      opts.onAttempt?.(ctx, { username: who.username, mechanism: who.mechanism }, result === 'success' ? { ok: true } : { ok: false, reason: reason ?? 'credentials' });
    } catch (err) {
      log.error('auth-event-error', { err: errOf(err) });
    }
  };

  const fail = (ctx: LoginContext, who: Who, reason: AuthFailureReason, message: string, extra: Record<string, unknown> = {}): AuthResult => {
    record(ctx, who, 'failure', reason, extra);
    return { ok: false, reason, message };
  };

  const policyFailure = (ctx: LoginContext, who: Who, passwordBased: boolean): AuthResult | null =>
    mechanismAllowed(loginTypeOf(ctx.protocol), ctx.secure, passwordBased)
      ? null
      : fail(ctx, who, 'policy', policyRefusalMessage(loginTypeOf(ctx.protocol)));

  const throttleFailure = async (ctx: LoginContext, who: Who): Promise<AuthResult | null> => {
    let check;
    try {
      check = await throttle.check(ctx.remoteAddress, who.username.toLowerCase());
    } catch (err) {
      log.error('throttle-error', { err: errOf(err) });
      return null;
    }
    if (check.allowed) return null;
    const minutes = Math.max(1, Math.ceil(check.retryAfterMs / 60_000));
    return fail(ctx, who, 'throttled', `Too many failed logins from your network; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`);
  };

  /** A wrong secret or unknown user: counted, delayed, one reply for both. */
  const credentialsFailure = async (ctx: LoginContext, who: Who, detail?: string): Promise<AuthResult> => {
    let ms = 0;
    try {
      ms = await throttle.recordFailure(ctx.remoteAddress, who.username.toLowerCase());
    } catch (err) {
      log.error('throttle-error', { err: errOf(err) });
    }
    if (ms > 0) await delay(ms);
    return fail(ctx, who, 'credentials', 'Authentication failed', detail ? { detail } : {});
  };

  const unavailable = (ctx: LoginContext, who: Who, err: unknown): AuthResult => {
    log.error('directory-error', { err: errOf(err) });
    return fail(ctx, who, 'unavailable', 'The account directory is temporarily unavailable; try again later');
  };

  /** Step 4: authorization identity, account switches, success bookkeeping. */
  async function complete(ctx: LoginContext, who: Who, account: Account, extra: Record<string, unknown> = {}): Promise<AuthResult> {
    let target = account;
    const authz = (who.authzid ?? '').toLowerCase();
    if (authz !== '' && authz !== who.username.toLowerCase() && authz !== account.address) {
      if (!isMaster(account.address)) return fail(ctx, who, 'authz', 'Authorization as another user is not allowed');
      let other: Account | null;
      try {
        other = await currentAccount(authz);
      } catch (err) {
        return unavailable(ctx, who, err);
      }
      if (!other) return fail(ctx, who, 'authz', 'Authorization as that user is not possible');
      target = other;
      extra = { ...extra, master: sanitiseUsername(account.address) };
    }
    if ((ctx.protocol === 'imap4' && !target.imapEnabled) || (ctx.protocol === 'pop3' && !target.popEnabled)) {
      return fail(ctx, who, 'disabled', `${PROTOCOL_NAMES[ctx.protocol]} access is disabled for this account`);
    }
    try {
      await throttle.recordSuccess(ctx.remoteAddress, who.username.toLowerCase());
    } catch (err) {
      log.error('throttle-error', { err: errOf(err) });
    }
    record(ctx, who, 'success', undefined, extra);
    return { ok: true, account: target, mechanism: who.mechanism, insecure: !ctx.secure };
  }

  /**
   * Checks an app-password-shaped secret against the account's app passwords. Every one is checked
   * (no early exit), each with a fast salted hash (app-passwords.ts), so the time does not depend
   * on whether the user exists or how many app passwords it has.
   */
  async function appPasswordMatch(account: Account | null, pw: string, protocol: Protocol): Promise<{ id: number; name: string; allowed: boolean } | null> {
    // An unknown user's (empty) list is still read, and every slot up to the maximum is hashed.
    const list = opts.store.listAppPasswords ? (await opts.store.listAppPasswords(account?.id ?? -1)).slice(0, MAX_APP_PASSWORDS) : [];
    let found: { id: number; name: string; allowed: boolean } | null = null;
    for (let i = 0; i < MAX_APP_PASSWORDS; i++) {
      const ap = list[i];
      const matched = await verifyAppPassword(ap?.passwordHash ?? APP_PASSWORD_PAD, pw);
      if (ap && matched) found ??= { id: ap.id, name: ap.name, allowed: ap.protocols.includes(protocol) };
    }
    return found;
  }

  /** Step 4 for a matching app password: its protocols, then as any login; its last use noted. */
  async function appPasswordLogin(ctx: LoginContext, who: Who, account: Account, match: { id: number; name: string; allowed: boolean }, extra: Record<string, unknown> = {}): Promise<AuthResult> {
    if (!match.allowed) return fail(ctx, who, 'disabled', `This app password is not allowed for ${PROTOCOL_NAMES[ctx.protocol]}`);
    const r = await complete(ctx, who, account, { ...extra, appPassword: match.name });
    if (r.ok) opts.store.touchAppPassword?.(match.id, new Date()).catch((err: unknown) => log.warn('app-password-touch-failed', { err: errOf(err) }));
    return r;
  }

  /**
   * An app password of a directory user: the directory names the account (and still has the user,
   * with current switches), the store holds the app passwords. Null when none matches: the caller
   * then tries the secret as the directory password. Throws DirectoryUnavailableError.
   */
  async function directoryAppPasswordLogin(ctx: LoginContext, who: Who, key: string, appPw: string): Promise<AuthResult | null> {
    const entry = await opts.directory!.lookup(key);
    const stored = entry ? await opts.store.getAccount(entry.address) : null;
    const match = await appPasswordMatch(stored, appPw, ctx.protocol);
    if (!match || !entry || !stored) return null;
    return appPasswordLogin(ctx, who, await provision(entry), match, { directory: opts.directory!.kind });
  }

  /** A directory user's store account: found or created, switches and quota kept in step. */
  async function provision(entry: DirectoryEntry): Promise<Account> {
    let account = await opts.store.getAccount(entry.address);
    if (!account) {
      if (!opts.store.createAccount) throw new Error('the store cannot create accounts');
      account = await opts.store.createAccount(entry.address, null);
    }
    // The backend pin follows the directory only when it has a pin attribute (entry.backend defined).
    const pin = entry.backend === undefined ? {} : { backend: entry.backend };
    const patch = { imapEnabled: entry.imapEnabled, popEnabled: entry.popEnabled, quotaBytes: entry.quotaBytes, ...pin };
    if (account.imapEnabled !== patch.imapEnabled || account.popEnabled !== patch.popEnabled || account.quotaBytes !== patch.quotaBytes
      || (pin.backend !== undefined && (account.backend ?? null) !== pin.backend)) {
      await opts.store.updateAccount(account.id, patch);
      account = { ...account, ...patch };
    }
    return account;
  }

  /**
   * The account for a login that did not verify a password against the directory (bearer token,
   * client certificate, master-user target): with an external directory it is looked up there
   * first, so its switches, quota and pin are current and a user removed from the directory is
   * refused (null); with the local directory it is the store account.
   */
  async function currentAccount(address: string): Promise<Account | null> {
    const key = address.toLowerCase();
    if (!opts.directory) return opts.store.getAccount(key);
    if (key.length === 0 || key.length > MAX_USERNAME || /[\x00-\x1f\x7f]/.test(key)) return null;
    const entry = await opts.directory.lookup(key);
    return entry ? provision(entry) : null;
  }

  async function authenticatePassword(ctx: LoginContext, attempt: PasswordAttempt): Promise<AuthResult> {
    const who: Who = { username: attempt.username, mechanism: attempt.mechanism, ...(attempt.authzid ? { authzid: attempt.authzid } : {}) };
    // 1. Policy, before anything else.
    const refused = policyFailure(ctx, who, isPasswordMechanism(saslName(attempt.mechanism)));
    if (refused) return refused;
    // 2. Throttling.
    const throttled = await throttleFailure(ctx, who);
    if (throttled) return throttled;
    const key = attempt.username.toLowerCase();
    const wellFormed = key.length > 0 && key.length <= MAX_USERNAME && attempt.password.length <= MAX_PASSWORD
      && !/[\x00-\x1f\x7f]/.test(key);
    // 3a. An external directory verifies by itself (LDAP bind). An app-password-shaped secret is
    // first tried against the user's app passwords in the store, so it never reaches the directory
    // as a failed bind (which could count towards the directory's own lockout).
    if (opts.directory) {
      let entry: DirectoryEntry | null = null;
      let account: Account;
      try {
        const appPw = wellFormed ? normalizeAppPassword(attempt.password) : null;
        if (appPw !== null) {
          const viaApp = await directoryAppPasswordLogin(ctx, who, key, appPw);
          if (viaApp) return viaApp;
        }
        entry = wellFormed && attempt.password.length > 0 ? await opts.directory.verify(key, attempt.password) : null;
        if (!entry) return await credentialsFailure(ctx, who);
        account = await provision(entry);
      } catch (err) {
        if (err instanceof DirectoryUnavailableError) return unavailable(ctx, who, err);
        throw err;
      }
      return complete(ctx, who, account, { directory: opts.directory.kind });
    }
    // 3b. The local directory, at equal cost for unknown users.
    let account: Account | null = null;
    if (wellFormed) {
      try {
        account = await opts.store.getAccount(key);
      } catch (err) {
        return unavailable(ctx, who, err);
      }
    }
    const stored = account?.passwordHash ?? null;
    const pw = wellFormed ? attempt.password : '';
    const matches = await verifyPassword(stored ?? (await dummy()), pw);
    if (!account || stored === null || !matches || !wellFormed) {
      const weak = account && stored !== null ? refusedWeakScheme(stored) : null;
      if (weak) log.warn('password-scheme-refused', { user: sanitiseUsername(account!.address), scheme: weak, detail: 'the stored hash uses a weak scheme not listed in auth allow-weak-hash-schemes' });
      const appPw = wellFormed ? normalizeAppPassword(pw) : null;
      if (appPw !== null) {
        let match;
        try {
          match = await appPasswordMatch(account, appPw, ctx.protocol);
        } catch (err) {
          return unavailable(ctx, who, err);
        }
        if (match && account) return appPasswordLogin(ctx, who, account, match);
      }
      return credentialsFailure(ctx, who);
    }
    // 4. What the verified user may do.
    const result = await complete(ctx, who, account);
    if (result.ok && needsRehash(stored)) {
      try {
        await opts.store.updateAccount(account.id, { passwordHash: await hashPassword(attempt.password) });
        log.info('password-rehashed', { user: sanitiseUsername(account.address), session: ctx.sessionId });
      } catch (err) {
        log.warn('password-rehash-failed', { user: sanitiseUsername(account.address), err: errOf(err) });
      }
    }
    return result;
  }

  /** Keys that match nothing, with a salt that is stable per user name (no user enumeration). */
  const fakeScramKeys = (username: string): ScramKeys => ({
    iterations: scramIterationsSetting(),
    salt: hmac(secret, `salt:${username.toLowerCase()}`).subarray(0, 16),
    storedKey: sha256(createHmac('sha256', secret).update(`stored:${username}`).digest()),
    serverKey: hmac(secret, `server:${username}`),
  });

  /** The account a verified client certificate names under the configured identity kind. */
  const certificateIdentity = (cert: LoginContext['clientCertificate']): string | null => {
    if (!cert || !cert.verified) return null;
    let kind: 'email' | 'common-name';
    try {
      const c = opts.clientCertificates?.() ?? null;
      if (!c) return null;
      kind = c.identity;
    } catch {
      return null;
    }
    const v = kind === 'common-name' ? cert.commonName : cert.email;
    return v && v.length <= MAX_USERNAME && !/[\x00-\x1f\x7f]/.test(v) ? v.toLowerCase() : null;
  };

  const offered = (m: SaslMechanismInfo, ctx: { secure: boolean; channelBinding?: boolean; clientCertificate?: LoginContext['clientCertificate'] }): boolean => {
    switch (m.needs) {
      case 'client-certificate':
        return ctx.secure && certificateIdentity(ctx.clientCertificate) !== null;
      case 'scram':
        return !opts.directory;
      case 'channel-binding':
        return !opts.directory && (ctx.channelBinding ?? ctx.secure);
      case 'bearer':
        return oauth() !== null;
      default:
        return true;
    }
  };

  const hooks: SaslHooks = {
    policyFailure, throttleFailure, credentialsFailure, complete, unavailable,
    authenticatePassword: (ctx, attempt) => authenticatePassword(ctx, attempt),
    offered,
    clientCertificateIdentity: (ctx) => (ctx.secure ? certificateIdentity(ctx.clientCertificate) : null),
    async scramAccount(username) {
      if (username.length > MAX_USERNAME || /[\x00-\x1f\x7f]/.test(username)) return { account: null, keys: fakeScramKeys(username) };
      const account = await opts.store.getAccount(username.toLowerCase());
      return { account, keys: scramKeysOf(account?.passwordHash ?? null) ?? fakeScramKeys(username) };
    },
    async bearerAccount(token) {
      const settings = oauth();
      if (!settings) return { ok: false, status: 'invalid_token', detail: 'no issuers configured' };
      const r = verifyJwt(token, settings);
      if (!r.ok) return { ok: false, status: 'invalid_token', detail: r.reason };
      return { ok: true, username: r.username };
    },
    getAccount: (address) => currentAccount(address),
  };

  return {
    authenticatePassword: async (ctx, attempt) => {
      try {
        return await authenticatePassword(ctx, attempt);
      } catch (err) {
        log.error('auth-error', { session: ctx.sessionId, err: errOf(err) });
        return { ok: false, reason: 'unavailable', message: 'Authentication is temporarily unavailable; try again later' };
      }
    },
    passwordLoginAllowed: (ctx) => mechanismAllowed(loginTypeOf(ctx.protocol), ctx.secure, true),
    mechanisms: (ctx) => SASL_MECHANISMS
      .filter((m) => mechanismAllowed(loginTypeOf(ctx.protocol), ctx.secure, m.passwordBased) && offered(m, ctx))
      .map((m) => m.name),
    startSasl: (ctx, mechanism, channelBinding) => startSaslExchange(hooks, log, ctx, mechanism, channelBinding),
  };
}

/** Maps an attempt's mechanism label ("LOGIN" command, "USER", "LOGIN-SASL", "PLAIN") to a SASL name. */
function saslName(mechanism: string): string {
  const m = mechanism.toUpperCase();
  if (m === 'LOGIN-SASL' || m === 'USER') return 'LOGIN';
  return m;
}
