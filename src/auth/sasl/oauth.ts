/**
 * OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's): the client sends a bearer token that the
 * environment validates (a JWT against configured issuers: see auth/jwt.ts).
 *
 *   OAUTHBEARER: gs2-header kvsep *(key=value kvsep) kvsep, kvsep = %x01, with "auth=Bearer <token>";
 *                on failure the server sends a JSON error challenge, the client answers %x01.
 *   XOAUTH2:     "user=" name %x01 "auth=Bearer " token %x01 %x01; on failure a JSON error
 *                challenge, the client answers with an empty response.
 */
import type { SaslEnv, SaslServer, SaslStep } from './index.js';
import { decodeSaslName } from './scram.js';

const MAX_MESSAGE = 20 * 1024;

function kvPairs(s: string): Map<string, string> | null {
  const out = new Map<string, string>();
  if (!s.endsWith('\x01\x01')) return null;
  for (const part of s.slice(0, -2).split('\x01')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    if (i <= 0) return null;
    out.set(part.slice(0, i).toLowerCase(), part.slice(i + 1));
  }
  return out;
}

function bearerOf(auth: string | undefined): string | null {
  const m = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(auth ?? '');
  return m ? m[1]! : null;
}

type Parsed = { token: string; user: string } | { error: string };

function makeServer(env: SaslEnv, mechanism: 'OAUTHBEARER' | 'XOAUTH2', parse: (text: string) => Parsed): SaslServer {
  let stage: 'start' | 'error-sent' | 'done' = 'start';
  let refusal = '';
  let username = '';
  return {
    mechanism,
    passwordBased: true,
    async step(response: Buffer | null): Promise<SaslStep> {
      if (stage === 'error-sent') {
        stage = 'done';
        return { done: true, rejected: { username, mechanism, detail: refusal } };
      }
      if (stage === 'done') return { error: 'Authentication exchange already finished' };
      if (response === null) return { challenge: Buffer.alloc(0) };
      stage = 'done';
      if (response.length > MAX_MESSAGE) return { error: `${mechanism} message too long` };
      const p = parse(response.toString('utf8'));
      if ('error' in p) return { error: p.error };
      username = p.user;
      if (!env.verifyBearer) return { error: `${mechanism} is not available` };
      const check = await env.verifyBearer(p.token);
      if (!check.ok) {
        if (check.status === 'unavailable') return { error: 'Token validation is temporarily unavailable' };
        stage = 'error-sent';
        refusal = check.detail;
        const body = mechanism === 'OAUTHBEARER'
          ? { status: 'invalid_token', schemes: 'bearer' }
          : { status: '401', schemes: 'bearer' };
        return { challenge: Buffer.from(JSON.stringify(body), 'utf8') };
      }
      // The token names the account. A different name in the message is an authorization identity.
      const authzid = p.user && p.user.toLowerCase() !== check.username ? p.user : '';
      if (mechanism === 'XOAUTH2' && authzid) {
        return { done: true, rejected: { username: p.user, mechanism } }; // XOAUTH2 has no authzid
      }
      return { done: true, verified: { username: check.username, mechanism, ...(authzid ? { authzid } : {}) } };
    },
  };
}

export function createOAuthBearerServer(env: SaslEnv): SaslServer {
  return makeServer(env, 'OAUTHBEARER', (text) => {
    const m = /^(n|y),(a=[^,]*)?,(.*)$/s.exec(text);
    if (!m) return { error: 'Malformed OAUTHBEARER message' };
    const user = m[2] ? decodeSaslName(m[2].slice(2)) : '';
    if (user === null) return { error: 'Malformed OAUTHBEARER authorization identity' };
    const kv = kvPairs(m[3]!.startsWith('\x01') ? m[3]!.slice(1) : m[3]!);
    const token = kv ? bearerOf(kv.get('auth')) : null;
    if (!token) return { error: 'Malformed OAUTHBEARER message (auth=Bearer <token> expected)' };
    return { token, user };
  });
}

export function createXOAuth2Server(env: SaslEnv): SaslServer {
  return makeServer(env, 'XOAUTH2', (text) => {
    const kv = kvPairs(text);
    const token = kv ? bearerOf(kv.get('auth')) : null;
    const user = kv?.get('user') ?? '';
    if (!token || !user) return { error: 'Malformed XOAUTH2 message (user=...^Aauth=Bearer <token>^A^A expected)' };
    return { token, user };
  });
}
