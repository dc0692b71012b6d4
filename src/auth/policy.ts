/**
 * The login policy (LoginType), the one place that decides which credentials may be offered on
 * which connection. IMAP, POP3 and submission all ask here, before looking at any credential.
 *
 * - SecureLogin (default): no authentication of any kind before TLS.
 * - PlainTextAuthentication: password mechanisms only over TLS; mechanisms that never expose
 *   the password (SCRAM, ...) also in cleartext.
 * - PlainTextLogin: everything everywhere (legacy); every cleartext login is marked insecure.
 */
import type { LoginType } from './types.js';

/** True when the mechanism may be used on a connection (secure = TLS is active). */
export function mechanismAllowed(loginType: LoginType, secure: boolean, passwordBased: boolean): boolean {
  if (secure) return true;
  switch (loginType) {
    case 'SecureLogin':
      return false;
    case 'PlainTextAuthentication':
      return !passwordBased;
    case 'PlainTextLogin':
      return true;
    default:
      return false; // an unknown value never loosens the policy
  }
}

/** Whether password mechanisms (IMAP LOGIN, POP3 USER/PASS, SASL PLAIN/LOGIN) are allowed. */
export function passwordLoginAllowed(loginType: LoginType, secure: boolean): boolean {
  return mechanismAllowed(loginType, secure, true);
}

/** Whether any authentication at all is possible (IMAP: otherwise LOGINDISABLED and no AUTH=). */
export function anyLoginAllowed(loginType: LoginType, secure: boolean): boolean {
  return mechanismAllowed(loginType, secure, false);
}

/** A login that succeeded over a connection without TLS: allowed only by PlainTextLogin, logged as insecure. */
export function isInsecureLogin(secure: boolean): boolean {
  return !secure;
}

export function policyRefusalMessage(loginType: LoginType): string {
  return loginType === 'PlainTextAuthentication'
    ? 'Password authentication is only allowed over TLS; use STARTTLS or the TLS port first'
    : 'Authentication is only allowed over TLS; use STARTTLS or the TLS port first';
}
