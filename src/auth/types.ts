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
  /** The TLS client certificate, when one was sent (SASL EXTERNAL uses a verified one). */
  clientCertificate?: ClientCertificateInfo | null;
}

/** What the authenticator sees of a client certificate (net/ and smtp/ fill it in from tls/client-cert.ts). */
export type ClientCertificateInfo =
  | { verified: true; email: string | null; commonName: string | null; fingerprint: string }
  | { verified: false; reason: string };

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

/** Channel-binding types of SCRAM-*-PLUS (RFC 5929 tls-server-end-point, RFC 9266 tls-exporter). */
export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point';

/** The channel-binding data of a connection, or null when that type is unavailable on it. */
export type ChannelBindingSource = (type: ChannelBindingType) => Buffer | null;

/** One step of a server-side SASL exchange run by the Authenticator (any mechanism). */
export type SaslExchangeStep =
  | { challenge: Buffer }
  | { done: true; result: AuthResult }
  | { error: string };

/**
 * A SASL exchange with policy, throttling, look-ups, verification, authorization and logging
 * inside. The protocol layer only does base64, "*" cancel and initial responses: it feeds each
 * decoded response (null = none) and sends each challenge, until `done` or `error`.
 * A challenge may be the mechanism's final server message (SCRAM "v="): the client answers it
 * with an empty response, and only then is the exchange done.
 */
export interface SaslExchange {
  readonly mechanism: string;
  /** True for mechanisms where the client sends the secret itself (PLAIN, LOGIN, bearer tokens). */
  readonly passwordBased: boolean;
  step(response: Buffer | null): Promise<SaslExchangeStep>;
}

export interface Authenticator {
  /**
   * Applies policy, throttling and verification in that order. Never throws for bad
   * credentials; resolves { ok: false } with a reason. May delay the answer (throttling).
   */
  authenticatePassword(ctx: LoginContext, attempt: PasswordAttempt): Promise<AuthResult>;
  /** Whether password-based mechanisms are allowed on a connection (the policy, no I/O). */
  passwordLoginAllowed(ctx: Pick<LoginContext, 'protocol' | 'secure'>): boolean;
  /**
   * SASL mechanism names to advertise on a connection. `channelBinding`: whether the connection
   * can give channel-binding data (then SCRAM-SHA-256-PLUS is offered too); default: `secure`.
   * `clientCertificate`: EXTERNAL is offered only with a verified one that names an account.
   */
  mechanisms(ctx: Pick<LoginContext, 'protocol' | 'secure' | 'clientCertificate'> & { channelBinding?: boolean }): string[];
  /**
   * Starts a SASL exchange for `mechanism` (case-insensitive); null when it is not supported.
   * A mechanism refused by policy still gets an exchange: its first step answers with the
   * policy refusal, before anything is looked up.
   */
  startSasl(ctx: LoginContext, mechanism: string, channelBinding?: ChannelBindingSource): SaslExchange | null;
}
