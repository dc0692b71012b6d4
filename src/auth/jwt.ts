/**
 * Bearer tokens for OAUTHBEARER (RFC 7628) and XOAUTH2: JWTs (RFC 7519) signed with RS256 or
 * ES256, checked with node:crypto against the keys of configured issuers, with issuer, audience,
 * expiry and not-before checks. The account is named by the `email` claim (or another configured
 * claim, e.g. `sub`). No network fetches: keys are configured (PEM or JWK).
 *
 * Settings block (for the lead; config key "oauth"):
 *   oauth:
 *     issuers:
 *       - issuer: "https://idp.example.org"          # must equal the token's "iss"
 *         audience: ["portcullis"]                   # the token's "aud" must contain one of these
 *         keys:                                       # RS256 / ES256 public keys
 *           - { kid: "k1", pem: "-----BEGIN PUBLIC KEY-----..." }
 *           - { jwk: { kty: "EC", crv: "P-256", x: "...", y: "..." } }
 *         usernameClaim: "email"                     # default "email"; "sub" is the other choice
 *         clockSkewSeconds: 60                        # default 60
 */
import { createPublicKey, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface OAuthIssuerKey {
  kid?: string;
  pem?: string;
  jwk?: JsonWebKey;
}

export interface OAuthIssuer {
  issuer: string;
  audience: string[];
  keys: OAuthIssuerKey[];
  usernameClaim?: 'email' | 'sub';
  clockSkewSeconds?: number;
}

export interface OAuthSettings {
  issuers: OAuthIssuer[];
}

export type JwtCheck = { ok: true; username: string; issuer: string } | { ok: false; reason: string };

const MAX_TOKEN = 16 * 1024;

function b64url(s: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  return Buffer.from(s, 'base64url');
}

function jsonPart(s: string): Record<string, unknown> | null {
  const b = b64url(s);
  if (!b) return null;
  try {
    const v: unknown = JSON.parse(b.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const keyCache = new WeakMap<OAuthIssuerKey, KeyObject | null>();

function keyObject(k: OAuthIssuerKey): KeyObject | null {
  if (keyCache.has(k)) return keyCache.get(k) ?? null;
  let out: KeyObject | null = null;
  try {
    if (k.pem) out = createPublicKey(k.pem);
    else if (k.jwk) out = createPublicKey({ key: k.jwk, format: 'jwk' });
  } catch {
    out = null;
  }
  keyCache.set(k, out);
  return out;
}

function algorithmFits(alg: string, key: KeyObject): boolean {
  if (alg === 'RS256') return key.asymmetricKeyType === 'rsa';
  if (alg === 'ES256') return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  return false;
}

/** Validates a compact JWS bearer token; never throws. */
export function verifyJwt(token: string, settings: OAuthSettings, nowMs: number = Date.now()): JwtCheck {
  if (token.length === 0 || token.length > MAX_TOKEN) return { ok: false, reason: 'token missing or too long' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'not a JWS compact token' };
  const header = jsonPart(parts[0]!);
  const payload = jsonPart(parts[1]!);
  const sig = b64url(parts[2]!);
  if (!header || !payload || !sig) return { ok: false, reason: 'malformed token' };
  const alg = header.alg;
  if (alg !== 'RS256' && alg !== 'ES256') return { ok: false, reason: `algorithm ${String(alg).slice(0, 20)} not accepted` };
  const iss = payload.iss;
  const issuer = settings.issuers.find((i) => i.issuer === iss);
  if (!issuer) return { ok: false, reason: 'unknown issuer' };
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const candidates = issuer.keys.filter((k) => kid === undefined || k.kid === undefined || k.kid === kid);
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
  const good = candidates.some((k) => {
    const key = keyObject(k);
    if (!key || !algorithmFits(alg, key)) return false;
    try {
      return alg === 'RS256'
        ? cryptoVerify('sha256', signed, key, sig)
        : cryptoVerify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, sig);
    } catch {
      return false;
    }
  });
  if (!good) return { ok: false, reason: 'bad signature' };
  const skew = (issuer.clockSkewSeconds ?? 60) * 1000;
  if (typeof payload.exp !== 'number') return { ok: false, reason: 'token without expiry' };
  if (payload.exp * 1000 + skew <= nowMs) return { ok: false, reason: 'token expired' };
  if (typeof payload.nbf === 'number' && payload.nbf * 1000 - skew > nowMs) return { ok: false, reason: 'token not yet valid' };
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.some((a) => typeof a === 'string' && issuer.audience.includes(a))) return { ok: false, reason: 'wrong audience' };
  const claim = issuer.usernameClaim ?? 'email';
  const name = payload[claim];
  if (typeof name !== 'string' || name.length === 0 || name.length > 320) return { ok: false, reason: `token has no ${claim} claim` };
  if (claim === 'email' && payload.email_verified === false) return { ok: false, reason: 'email not verified' };
  return { ok: true, username: name.toLowerCase(), issuer: issuer.issuer };
}
