/**
 * Authenticator.startSasl: runs any SASL mechanism with the authenticator's rules around it.
 *
 * - Policy first: a mechanism the LoginType refuses on this connection answers its first step
 *   with the refusal, before any response is looked at.
 * - Password mechanisms (PLAIN, LOGIN) end in authenticatePassword.
 * - SCRAM asks for the user's keys after client-first: throttling is checked there (a blocked
 *   network gets no salt), an unknown user gets fake keys. A wrong proof or a channel-binding
 *   mismatch counts as a failed login; a right one goes through authorization, account switches
 *   and logging, and then the server-final message is sent as a last challenge.
 * - Bearer tokens (OAUTHBEARER, XOAUTH2): throttling, then JWT validation, then the account.
 * - EXTERNAL: throttling, then the account the verified client certificate names.
 * Nothing here throws to the protocol layer: internal errors become an "unavailable" result.
 */
import type { Logger } from '../core/log.js';
import type { Account } from '../store/store.js';
import { mechanismInfo, type BearerCheck, type SaslEnv, type SaslMechanismInfo, type VerifiedIdentity } from './sasl/index.js';
import type { ScramKeys } from './scram.js';
import type { AuthResult, ChannelBindingSource, LoginContext, PasswordAttempt, SaslExchange, SaslExchangeStep } from './types.js';

type Who = { username: string; mechanism: string; authzid?: string };

/** What the exchange needs from the authenticator (see authenticator.ts). */
export interface SaslHooks {
  policyFailure(ctx: LoginContext, who: Who, passwordBased: boolean): AuthResult | null;
  throttleFailure(ctx: LoginContext, who: Who): Promise<AuthResult | null>;
  credentialsFailure(ctx: LoginContext, who: Who, detail?: string): Promise<AuthResult>;
  unavailable(ctx: LoginContext, who: Who, err: unknown): AuthResult;
  complete(ctx: LoginContext, who: Who, account: Account, extra?: Record<string, unknown>): Promise<AuthResult>;
  authenticatePassword(ctx: LoginContext, attempt: PasswordAttempt): Promise<AuthResult>;
  offered(m: SaslMechanismInfo, ctx: { secure: boolean; channelBinding?: boolean; clientCertificate?: LoginContext['clientCertificate'] }): boolean;
  /** The account name the connection's verified client certificate gives (EXTERNAL), or null. */
  clientCertificateIdentity(ctx: LoginContext): string | null;
  scramAccount(username: string): Promise<{ account: Account | null; keys: ScramKeys }>;
  bearerAccount(token: string): Promise<BearerCheck>;
  /**
   * The account of an identity verified without a password (bearer token, client certificate):
   * with an external directory looked up there (current switches and quota; null when the
   * directory no longer has the user). SCRAM keeps the account it read with the keys (SCRAM is
   * offered with the local directory only).
   */
  getAccount(address: string): Promise<Account | null>;
}

/** Thrown inside a mechanism's look-up to end the exchange with a result. */
class Abort extends Error {
  constructor(readonly result: AuthResult) {
    super('sasl-abort');
  }
}

export function startSaslExchange(hooks: SaslHooks, log: Logger, ctx: LoginContext, mechanism: string, channelBinding?: ChannelBindingSource): SaslExchange | null {
  const info = mechanismInfo(mechanism);
  if (!info) return null;
  const cbAvailable = channelBinding !== undefined;
  if (!hooks.offered(info, { secure: ctx.secure, channelBinding: cbAvailable, clientCertificate: ctx.clientCertificate })) return null;
  const name = info.name;
  let scramAccount: Account | null = null;
  let username = '';
  const env: SaslEnv = {
    ...(channelBinding ? { channelBinding } : {}),
    plusOffered: hooks.offered(mechanismInfo('SCRAM-SHA-256-PLUS')!, { secure: ctx.secure, channelBinding: cbAvailable }),
    scramLookup: async (user) => {
      username = user;
      const throttled = await hooks.throttleFailure(ctx, { username: user, mechanism: name });
      if (throttled) throw new Abort(throttled);
      try {
        const r = await hooks.scramAccount(user);
        scramAccount = r.account;
        return { keys: r.keys };
      } catch (err) {
        throw new Abort(hooks.unavailable(ctx, { username: user, mechanism: name }, err));
      }
    },
    verifyBearer: async (token) => {
      const throttled = await hooks.throttleFailure(ctx, { username: '(bearer token)', mechanism: name });
      if (throttled) throw new Abort(throttled);
      return hooks.bearerAccount(token);
    },
    clientCertificateIdentity: async () => {
      const identity = hooks.clientCertificateIdentity(ctx);
      if (!identity) return null;
      username = identity;
      const throttled = await hooks.throttleFailure(ctx, { username: identity, mechanism: name });
      if (throttled) throw new Abort(throttled);
      return identity;
    },
  };
  const server = info.create(env);
  let started = false;
  let finished = false;
  let pendingSuccess: AuthResult | null = null;

  const verified = async (v: VerifiedIdentity): Promise<AuthResult> => {
    const who: Who = { username: v.username, mechanism: name, ...(v.authzid ? { authzid: v.authzid } : {}) };
    let account: Account | null = scramAccount;
    if (!account) {
      try {
        account = await hooks.getAccount(v.username);
      } catch (err) {
        return hooks.unavailable(ctx, who, err);
      }
    }
    if (!account) return hooks.credentialsFailure(ctx, who); // a valid token for a user we do not have
    const cert = name === 'EXTERNAL' && ctx.clientCertificate?.verified ? { certificate: ctx.clientCertificate.fingerprint.slice(0, 16) } : undefined;
    return hooks.complete(ctx, who, account, cert);
  };

  async function step(response: Buffer | null): Promise<SaslExchangeStep> {
    if (finished) return { error: 'Authentication exchange already finished' };
    if (!started) {
      started = true;
      const refused = hooks.policyFailure(ctx, { username: '', mechanism: name }, info!.passwordBased);
      if (refused) {
        finished = true;
        return { done: true, result: refused };
      }
    }
    if (pendingSuccess) {
      finished = true;
      if (response !== null && response.length > 0) return { error: 'Unexpected data after the final server message' };
      return { done: true, result: pendingSuccess };
    }
    const s = await server.step(response);
    if ('challenge' in s) return s;
    if ('error' in s) {
      finished = true;
      log.info('auth-sasl-error', { protocol: ctx.protocol, session: ctx.sessionId, client: ctx.remoteAddress, mechanism: name, error: s.error });
      return s;
    }
    if ('attempt' in s) {
      finished = true;
      return { done: true, result: await hooks.authenticatePassword(ctx, s.attempt) };
    }
    if ('rejected' in s) {
      finished = true;
      return { done: true, result: await hooks.credentialsFailure(ctx, { username: s.rejected.username || username, mechanism: name }, s.rejected.detail) };
    }
    const result = await verified(s.verified);
    if (result.ok && s.serverFinal) {
      pendingSuccess = result;
      return { challenge: s.serverFinal };
    }
    finished = true;
    return { done: true, result };
  }

  return {
    mechanism: name,
    passwordBased: info.passwordBased,
    async step(response: Buffer | null): Promise<SaslExchangeStep> {
      try {
        return await step(response);
      } catch (err) {
        finished = true;
        if (err instanceof Abort) return { done: true, result: err.result };
        log.error('auth-error', { session: ctx.sessionId, mechanism: name, err: err instanceof Error ? err : new Error(String(err)) });
        return { done: true, result: { ok: false, reason: 'unavailable', message: 'Authentication is temporarily unavailable; try again later' } };
      }
    },
  };
}
