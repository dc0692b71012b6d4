/**
 * The LOGIN SASL mechanism (draft-murchison-sasl-login): challenges "Username:" and
 * "Password:". An initial response, if sent, is the user name.
 */
import type { SaslServer, SaslStep } from './index.js';
import { MAX_SASL_FIELD, decodeUtf8Field } from './util.js';

export function createLoginServer(): SaslServer {
  let stage: 'start' | 'user' | 'password' | 'done' = 'start';
  let username = '';
  const takeUser = (response: Buffer): SaslStep => {
    if (response.length === 0 || response.length > MAX_SASL_FIELD) {
      stage = 'done';
      return { error: response.length === 0 ? 'Empty user name' : 'User name too long' };
    }
    const u = decodeUtf8Field(response);
    if (u === null) {
      stage = 'done';
      return { error: 'User name is not valid UTF-8' };
    }
    username = u;
    stage = 'password';
    return { challenge: Buffer.from('Password:') };
  };
  return {
    mechanism: 'LOGIN',
    passwordBased: true,
    step(response: Buffer | null): SaslStep {
      switch (stage) {
        case 'start':
          if (response === null) {
            stage = 'user';
            return { challenge: Buffer.from('Username:') };
          }
          return takeUser(response);
        case 'user':
          if (response === null) {
            stage = 'done';
            return { error: 'LOGIN needs a user name' };
          }
          return takeUser(response);
        case 'password': {
          stage = 'done';
          if (response === null || response.length === 0) return { error: 'Empty password' };
          if (response.length > MAX_SASL_FIELD) return { error: 'Password too long' };
          const password = decodeUtf8Field(response);
          if (password === null) return { error: 'Password is not valid UTF-8' };
          return { done: true, attempt: { username, password, mechanism: 'LOGIN-SASL' } };
        }
        default:
          return { error: 'Authentication exchange already finished' };
      }
    },
  };
}
