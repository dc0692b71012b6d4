/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677), server side, with channel binding
 * tls-exporter (RFC 9266, TLS 1.3 only) and tls-server-end-point (RFC 5929).
 *
 *   C: gs2-header client-first-bare        gs2-header = ("n" | "y" | "p=" cb-name) "," [ "a=" authzid ] ","
 *   S: r=cnonce+snonce,s=salt,i=iterations
 *   C: c=base64(gs2-header + cb-data),r=nonce,p=proof
 *   S: v=ServerSignature   (sent as the final challenge; the client answers with an empty response)
 *
 * The keys come from env.scramLookup, which also answers for unknown users (deterministic fake
 * salt, keys that match nothing) so that the exchange does not reveal whether a user exists.
 */
import { randomBytes } from 'node:crypto';
import type { ChannelBindingType } from '../types.js';
import { equal32, hmac, sha256, xor, type ScramKeys } from '../scram.js';
import type { SaslEnv, SaslServer, SaslStep } from './index.js';
import { MAX_SASL_FIELD, decodeUtf8Field } from './util.js';

/** Keys for a user (real, or fake for an unknown one: both look the same to the client). */
export type ScramLookup = { keys: ScramKeys };

const CB_TYPES: readonly ChannelBindingType[] = ['tls-exporter', 'tls-server-end-point'];

/** Decodes a SCRAM saslname ("=2C" -> ",", "=3D" -> "="); null when malformed. */
export function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Splits "k=v,k=v" attributes; null when one is malformed. */
function attributes(s: string): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  for (const part of s.split(',')) {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!m) return null;
    out.push([m[1]!, m[2]!]);
  }
  return out;
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export function createScramServer(env: SaslEnv, plus: boolean): SaslServer {
  const mechanism = plus ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256';
  let stage: 'first' | 'final' | 'done' = 'first';
  let username = '';
  let authzid = '';
  let gs2Header = '';
  let cbData: Buffer = Buffer.alloc(0);
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';
  let keys: ScramKeys | null = null;

  const fail = (error: string): SaslStep => {
    stage = 'done';
    return { error };
  };

  async function first(response: Buffer | null): Promise<SaslStep> {
    if (response === null || response.length === 0) return { challenge: Buffer.alloc(0) }; // client sends client-first next
    if (response.length > MAX_SASL_FIELD * 2) return fail('SCRAM message too long');
    const text = decodeUtf8Field(response);
    if (text === null) return fail('SCRAM message is not valid UTF-8');
    const m = /^(n|y|p=[A-Za-z0-9.-]+),(a=[^,]*)?,(.*)$/s.exec(text);
    if (!m) return fail('Malformed SCRAM client-first message');
    const flag = m[1]!;
    if (plus) {
      const type = flag.startsWith('p=') ? flag.slice(2) : null;
      if (type === null) return fail('SCRAM-SHA-256-PLUS needs channel binding (p=tls-exporter or p=tls-server-end-point)');
      if (!CB_TYPES.includes(type as ChannelBindingType)) return fail(`Unsupported channel binding type ${type.slice(0, 40)}`);
      const data = env.channelBinding?.(type as ChannelBindingType) ?? null;
      if (data === null) return fail(`Channel binding ${type} is not available on this connection`);
      cbData = data;
    } else {
      if (flag.startsWith('p=')) return fail('Channel binding requested with SCRAM-SHA-256; use SCRAM-SHA-256-PLUS');
      // "y": the client could bind but thinks the server cannot. If we offered -PLUS, that is a downgrade.
      if (flag === 'y' && env.plusOffered) return fail('Channel binding downgrade detected');
    }
    if (m[2]) {
      const a = decodeSaslName(m[2].slice(2));
      if (a === null || a === '') return fail('Malformed SCRAM authorization identity');
      authzid = a;
    }
    gs2Header = `${flag},${m[2] ?? ''},`;
    clientFirstBare = m[3]!;
    const attrs = attributes(clientFirstBare);
    if (!attrs || attrs.length < 2) return fail('Malformed SCRAM client-first message');
    if (attrs[0]![0] === 'm') return fail('Unsupported SCRAM extension');
    const [[nk, nv], [rk, rv]] = attrs as [[string, string], [string, string]];
    if (nk !== 'n' || rk !== 'r') return fail('Malformed SCRAM client-first message');
    const user = decodeSaslName(nv);
    if (user === null || user === '' || user.length > MAX_SASL_FIELD) return fail('Malformed SCRAM user name');
    if (!PRINTABLE_NONCE.test(rv) || rv.length > 256) return fail('Malformed SCRAM nonce');
    username = user;
    if (!env.scramLookup) return fail('SCRAM is not available');
    keys = (await env.scramLookup(username)).keys; // may throw an abort (policy, throttling, directory down)
    nonce = rv + (env.nonce ? env.nonce() : randomBytes(18).toString('base64'));
    serverFirst = `r=${nonce},s=${keys.salt.toString('base64')},i=${keys.iterations}`;
    stage = 'final';
    return { challenge: Buffer.from(serverFirst, 'utf8') };
  }

  function final(response: Buffer | null): SaslStep {
    stage = 'done';
    if (response === null || response.length > MAX_SASL_FIELD * 2) return { error: 'Malformed SCRAM client-final message' };
    const text = decodeUtf8Field(response);
    const attrs = text === null ? null : attributes(text);
    if (text === null || !attrs || attrs.length < 3) return { error: 'Malformed SCRAM client-final message' };
    const [ck, cv] = attrs[0]!;
    const [rk, rv] = attrs[1]!;
    const [pk, pv] = attrs[attrs.length - 1]!;
    if (ck !== 'c' || rk !== 'r' || pk !== 'p') return { error: 'Malformed SCRAM client-final message' };
    if (rv !== nonce) return { error: 'SCRAM nonce mismatch' };
    const expectedC = Buffer.concat([Buffer.from(gs2Header, 'utf8'), cbData]).toString('base64');
    if (cv !== expectedC) {
      // A wrong channel binding is a failed login (it may be a man in the middle), not a syntax error.
      return { done: true, rejected: { username, mechanism } };
    }
    const proof = Buffer.from(pv, 'base64');
    const withoutProof = text.slice(0, text.lastIndexOf(',p='));
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const k = keys!;
    const clientSignature = hmac(k.storedKey, authMessage);
    const clientKey = xor(proof.length === 32 ? proof : Buffer.alloc(32), clientSignature);
    if (!equal32(sha256(clientKey), k.storedKey) || proof.length !== 32) {
      return { done: true, rejected: { username, mechanism } };
    }
    const serverSignature = hmac(k.serverKey, authMessage);
    return {
      done: true,
      verified: { username, mechanism, ...(authzid ? { authzid } : {}) },
      serverFinal: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'),
    };
  }

  return {
    mechanism,
    passwordBased: false,
    step(response: Buffer | null): SaslStep | Promise<SaslStep> {
      switch (stage) {
        case 'first':
          return first(response);
        case 'final':
          return final(response);
        default:
          return { error: 'Authentication exchange already finished' };
      }
    },
  };
}
