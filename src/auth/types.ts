/**
 * Authentication contract shared by IMAP, POP3 and submission.
 *
 * Order on every login attempt: (1) the login policy decides whether this mechanism may be used
 * on this connection at all — if not, the attempt is refused *before* any credential is looked
 * at; (2) throttling may delay or refuse; (3) only then is the secret verified.
 */
import type { Account } from '../store/store.js';

export type LoginType = 'SecureLogin' | 'PlainTextAuthentication' | 'PlainTextLogin';
export const LOGIN_TYPES: readonly LoginType[] = ['SecureLogin', 'PlainTextAuthentication', 'PlainTextLogin'];

export type Protocol = 'imap4' | 'pop3' | 'smtp';

/** Facts about the connection an attempt arrives on. */
export interface LoginContext {
  protocol: Protocol;
  sessionId: string;
  remoteAddress: string;
  localPort: number;
  /** True when the connection is encrypted (implicit TLS or after STARTTLS). */
  secure: boolean;
  tlsVersion: string | null;
  tlsCipher: string | null;
  /** How the connection got TLS, when the caller knows (for the security log). */
  tlsMode?: 'none' | 'starttls' | 'implicit';
}

export type AuthFailureReason =
  | 'policy' // refused by LoginType before checking
  | 'credentials' // unknown user or wrong secret (never distinguished to the client)
  | 'disabled' // account exists but the protocol is disabled for it
  | 'throttled' // too many failures: temporarily blocked
  | 'authz' // authorization identity refused
  | 'unavailable'; // directory unreachable

export type AuthResult =
  | { ok: true; account: Account; mechanism: string; insecure: boolean }
  | { ok: false; reason: AuthFailureReason; message: string };

export interface PasswordAttempt {
  /** The user name as the client sent it (authentication identity). */
  username: string;
  password: string;
  /** Authorization identity (SASL authzid); empty or equal to username means "self". */
  authzid?: string;
  /** "LOGIN" (IMAP LOGIN command), "USER" (POP3 USER/PASS), "PLAIN", "LOGIN-SASL", ... */
  mechanism: string;
}

export interface Authenticator {
  /**
   * Applies policy, throttling and verification in that order. Never throws for bad
   * credentials; resolves { ok: false } with a reason. May delay the answer (throttling).
   */
  authenticatePassword(ctx: LoginContext, attempt: PasswordAttempt): Promise<AuthResult>;
  /** Whether password-based mechanisms are allowed on a connection (the policy, no I/O). */
  passwordLoginAllowed(ctx: Pick<LoginContext, 'protocol' | 'secure'>): boolean;
  /** SASL mechanism names to advertise on a connection. */
  mechanisms(ctx: Pick<LoginContext, 'protocol' | 'secure'>): string[];
}
