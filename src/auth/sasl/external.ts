/**
 * SASL EXTERNAL (RFC 4422 appendix A) with TLS client certificates: the authentication identity
 * is the account the connection's verified client certificate names (client-certificate-identity);
 * the client's only message is the authorization identity, usually empty ("=" in IMAP/POP3/SMTP).
 * The authenticator then applies the usual rules: the account must exist, an authzid other than
 * that account needs a master user ([AUTHORIZATIONFAILED]), per-protocol switches, throttling.
 *
 * Offered only on a connection with a verified certificate (authenticator.ts); without one the
 * exchange ends with an error, never with a login.
 */
import type { SaslEnv, SaslServer, SaslStep } from './index.js';
import { MAX_SASL_FIELD, decodeUtf8Field } from './util.js';

export function createExternalServer(env: SaslEnv): SaslServer {
  let waiting = false;
  let done = false;
  return {
    mechanism: 'EXTERNAL',
    passwordBased: false,
    async step(response: Buffer | null): Promise<SaslStep> {
      if (done) return { error: 'Authentication exchange already finished' };
      if (response === null) {
        if (waiting) {
          done = true;
          return { error: 'EXTERNAL needs a response (an authorization identity, or empty)' };
        }
        waiting = true;
        return { challenge: Buffer.alloc(0) };
      }
      done = true;
      if (response.length > MAX_SASL_FIELD) return { error: 'EXTERNAL authorization identity too long' };
      const authzid = decodeUtf8Field(response);
      if (authzid === null) return { error: 'EXTERNAL authorization identity is not valid UTF-8' };
      const username = env.clientCertificateIdentity ? await env.clientCertificateIdentity() : null;
      if (!username) return { error: 'No verified client certificate on this connection' };
      return { done: true, verified: { username, mechanism: 'EXTERNAL', ...(authzid ? { authzid } : {}) } };
    },
  };
}
