/**
 * SASL PLAIN (RFC 4616): message = [authzid] NUL authcid NUL passwd, all UTF-8, no NUL inside
 * a field. The client may send it as an initial response or after an empty challenge.
 */
import type { SaslServer, SaslStep } from './index.js';
import { MAX_SASL_FIELD, decodeUtf8Field } from './util.js';

export function createPlainServer(): SaslServer {
  let waiting = false;
  let done = false;
  return {
    mechanism: 'PLAIN',
    passwordBased: true,
    step(response: Buffer | null): SaslStep {
      if (done) return { error: 'Authentication exchange already finished' };
      if (response === null) {
        if (waiting) {
          done = true;
          return { error: 'PLAIN needs a response' };
        }
        waiting = true;
        return { challenge: Buffer.alloc(0) };
      }
      done = true;
      const parts: Buffer[] = [];
      let start = 0;
      for (let i = 0; i < response.length; i++) {
        if (response[i] === 0) {
          parts.push(response.subarray(start, i));
          start = i + 1;
        }
      }
      parts.push(response.subarray(start));
      if (parts.length !== 3) return { error: 'Malformed PLAIN response (expected authzid NUL authcid NUL password)' };
      const [authzRaw, userRaw, passRaw] = parts;
      if (userRaw.length === 0 || passRaw.length === 0) return { error: 'Malformed PLAIN response (empty user name or password)' };
      if (authzRaw.length > MAX_SASL_FIELD || userRaw.length > MAX_SASL_FIELD || passRaw.length > MAX_SASL_FIELD) {
        return { error: 'PLAIN response too long' };
      }
      const authzid = decodeUtf8Field(authzRaw);
      const username = decodeUtf8Field(userRaw);
      const password = decodeUtf8Field(passRaw);
      if (authzid === null || username === null || password === null) return { error: 'PLAIN response is not valid UTF-8' };
      return { done: true, attempt: { username, password, authzid, mechanism: 'PLAIN' } };
    },
  };
}
