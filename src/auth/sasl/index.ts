/**
 * Server-side SASL mechanisms, shared by IMAP AUTHENTICATE, POP3 AUTH and SMTP AUTH. The
 * protocol layer handles base64, the "*" cancel and initial responses; a mechanism sees decoded
 * bytes (null = no response / no initial response) and answers with a challenge, a finished
 * password attempt for the authenticator, or an error text for the client.
 */
import type { PasswordAttempt } from '../types.js';
import { createLoginServer } from './login.js';
import { createPlainServer } from './plain.js';

export type SaslStep = { challenge: Buffer } | { done: true; attempt: PasswordAttempt } | { error: string };

export interface SaslServer {
  mechanism: string;
  /** True when the client sends the password itself (subject to the LoginType policy). */
  passwordBased: boolean;
  step(response: Buffer | null): SaslStep;
}

export interface SaslMechanismInfo {
  name: string;
  passwordBased: boolean;
  create: () => SaslServer;
}

/** Mechanisms in the order they are advertised. */
export const SASL_MECHANISMS: readonly SaslMechanismInfo[] = [
  { name: 'PLAIN', passwordBased: true, create: createPlainServer },
  { name: 'LOGIN', passwordBased: true, create: createLoginServer },
];

/** A fresh server for `mechanism` (case-insensitive), or null when it is not supported. */
export function createSaslServer(mechanism: string): SaslServer | null {
  const name = mechanism.toUpperCase();
  const info = SASL_MECHANISMS.find((m) => m.name === name);
  return info ? info.create() : null;
}

export function isPasswordMechanism(mechanism: string): boolean {
  const info = SASL_MECHANISMS.find((m) => m.name === mechanism.toUpperCase());
  return info ? info.passwordBased : true;
}
