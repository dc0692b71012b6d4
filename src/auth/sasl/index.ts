/**
 * Server-side SASL mechanisms, shared by IMAP AUTHENTICATE, POP3 AUTH and SMTP AUTH. The
 * protocol layer handles base64, the "*" cancel and initial responses; a mechanism sees decoded
 * bytes (null = no response / no initial response) and answers with:
 *   - a challenge;
 *   - a finished password attempt (PLAIN, LOGIN): the Authenticator verifies the password;
 *   - a verified identity (SCRAM, bearer tokens): the mechanism itself checked the proof with
 *     keys obtained from its environment (SaslEnv) and the Authenticator applies the rest
 *     (authorization identity, account switches, throttling, logging); `serverFinal` is sent as
 *     a last challenge before success (SCRAM "v=...");
 *   - a rejected identity: the proof was wrong (counted as a failed login);
 *   - an error text for the client (malformed exchange).
 * Protocol code normally uses Authenticator.startSasl(), which wraps all of this.
 */
import type { ChannelBindingSource, PasswordAttempt } from '../types.js';
import { createExternalServer } from './external.js';
import { createLoginServer } from './login.js';
import { createOAuthBearerServer, createXOAuth2Server } from './oauth.js';
import { createPlainServer } from './plain.js';
import { createScramServer, type ScramLookup } from './scram.js';

/** An identity a mechanism has verified by itself. */
export interface VerifiedIdentity {
  username: string;
  /** Authorization identity asked for; empty or equal to username means "self". */
  authzid?: string;
  mechanism: string;
}

export type SaslStep =
  | { challenge: Buffer }
  | { done: true; attempt: PasswordAttempt }
  | { done: true; verified: VerifiedIdentity; serverFinal?: Buffer }
  | { done: true; rejected: { username: string; mechanism: string; /** Why, for the server log (never a secret). */ detail?: string } }
  | { error: string };

export interface SaslServer {
  mechanism: string;
  /** True when the client sends the secret itself (subject to the LoginType policy). */
  passwordBased: boolean;
  step(response: Buffer | null): SaslStep | Promise<SaslStep>;
}

/** A validated bearer token (OAUTHBEARER, XOAUTH2): the account it names, or why not. */
export type BearerCheck = { ok: true; username: string } | { ok: false; status: 'invalid_token' | 'unavailable'; detail: string };

/** What non-password mechanisms need from the server. Absent parts make them unusable. */
export interface SaslEnv {
  /** SCRAM: the stored keys for a user name (fake ones for unknown users; see ScramLookup). */
  scramLookup?: (username: string) => Promise<ScramLookup>;
  /** SCRAM-PLUS: the connection's channel-binding data. */
  channelBinding?: ChannelBindingSource;
  /** Whether SCRAM-SHA-256-PLUS is offered on this connection (for the "y" downgrade check). */
  plusOffered?: boolean;
  /** Bearer-token validation (JWT against configured issuers). */
  verifyBearer?: (token: string) => Promise<BearerCheck>;
  /** Server nonce for SCRAM (tests pass a fixed one). */
  nonce?: () => string;
  /** EXTERNAL: the account the connection's verified client certificate names, or null. */
  clientCertificateIdentity?: () => Promise<string | null>;
}

export interface SaslMechanismInfo {
  name: string;
  passwordBased: boolean;
  /** What the mechanism needs to be offered at all. */
  needs: 'nothing' | 'scram' | 'channel-binding' | 'bearer' | 'client-certificate';
  create: (env: SaslEnv) => SaslServer;
}

/** Mechanisms in the order they are advertised (strongest first would confuse old clients: PLAIN first). */
export const SASL_MECHANISMS: readonly SaslMechanismInfo[] = [
  { name: 'PLAIN', passwordBased: true, needs: 'nothing', create: createPlainServer },
  { name: 'LOGIN', passwordBased: true, needs: 'nothing', create: createLoginServer },
  { name: 'SCRAM-SHA-256', passwordBased: false, needs: 'scram', create: (env) => createScramServer(env, false) },
  { name: 'SCRAM-SHA-256-PLUS', passwordBased: false, needs: 'channel-binding', create: (env) => createScramServer(env, true) },
  { name: 'OAUTHBEARER', passwordBased: true, needs: 'bearer', create: createOAuthBearerServer },
  { name: 'XOAUTH2', passwordBased: true, needs: 'bearer', create: createXOAuth2Server },
  { name: 'EXTERNAL', passwordBased: false, needs: 'client-certificate', create: createExternalServer },
];

export function mechanismInfo(mechanism: string): SaslMechanismInfo | null {
  const name = mechanism.toUpperCase();
  return SASL_MECHANISMS.find((m) => m.name === name) ?? null;
}

/** A fresh server for `mechanism` (case-insensitive), or null when it is not supported. */
export function createSaslServer(mechanism: string, env: SaslEnv = {}): SaslServer | null {
  const info = mechanismInfo(mechanism);
  return info ? info.create(env) : null;
}

export function isPasswordMechanism(mechanism: string): boolean {
  const info = mechanismInfo(mechanism);
  return info ? info.passwordBased : true;
}
