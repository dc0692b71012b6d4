/**
 * Client certificates (SASL EXTERNAL): the CA file that turns them on, the verification of a
 * server-side TLS socket's peer certificate against it, and the identities a verified
 * certificate carries (its first rfc822Name SAN or subject emailAddress; its subject CN).
 *
 * Only what is needed to log someone in leaves this module: never the whole certificate.
 */
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type * as tls from 'node:tls';
import './reflect-metadata.js';
import * as x509 from '@peculiar/x509';

/** What a connection knows of the client certificate it was given, if any. */
export type ClientCertificateFacts =
  | {
      verified: true;
      /** First rfc822Name SAN, else the subject emailAddress; lower-cased; null when none. */
      email: string | null;
      /** Subject common name; null when none. */
      commonName: string | null;
      /** SHA-256 fingerprint, hex (for logs). */
      fingerprint: string;
    }
  | { verified: false; reason: string };

/** Which certificate field names the account (`client-certificate-identity`). */
export type ClientCertificateIdentityKind = 'email' | 'common-name';

/** The trusted CA certificates (PEM) and a short id that changes with them (context caches). */
export interface ClientCa {
  pem: string;
  id: string;
}

const OID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1';
const OID_COMMON_NAME = '2.5.4.3';
const MAX_IDENTITY = 320;

/** A field fit to name an account: printable, bounded, no spaces or control characters. */
function cleanIdentity(value: string | undefined | null, lower: boolean): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  // eslint-disable-next-line no-control-regex
  if (!v || v.length > MAX_IDENTITY || /[\x00-\x1f\x7f\s]/.test(v)) return null;
  return lower ? v.toLowerCase() : v;
}

/** The identities in a certificate (DER): email (SAN rfc822Name first) and common name. */
export function certificateIdentities(der: Buffer | Uint8Array): { email: string | null; commonName: string | null } {
  const cert = new x509.X509Certificate(der);
  let email: string | null = null;
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (san) {
    const first = san.names.items.find((n) => n.type === 'email');
    if (first) email = cleanIdentity(first.value, true);
  }
  const field = (oid: string): string | null => cert.subjectName.getField(oid)[0] ?? null;
  if (!email) email = cleanIdentity(field(OID_EMAIL_ADDRESS), true);
  const commonName = cleanIdentity(field(OID_COMMON_NAME), false);
  return { email, commonName };
}

/** The account name a certificate gives for the configured identity kind (null: none). */
export function identityFor(facts: ClientCertificateFacts | null | undefined, kind: ClientCertificateIdentityKind): string | null {
  if (!facts || !facts.verified) return null;
  const v = kind === 'email' ? facts.email : facts.commonName;
  return v ? v.toLowerCase() : null;
}

interface VerifyHandle {
  verifyError?: () => (Error & { code?: string }) | null;
}

/**
 * For a server-side TLSSocket made with `new tls.TLSSocket(raw, {isServer, requestCert})`
 * (not accepted by a tls.Server, which does this itself): records OpenSSL's verdict on the
 * peer certificate in `authorized` / `authorizationError`, as tls.Server does.
 */
export function judgePeerCertificate(socket: tls.TLSSocket): void {
  const handle = (socket as unknown as { _handle?: VerifyHandle | null })._handle;
  if (!handle || typeof handle.verifyError !== 'function') return;
  const err = handle.verifyError();
  if (err) {
    socket.authorized = false;
    socket.authorizationError = (err.code ?? err.message) as unknown as Error;
  } else {
    socket.authorized = true;
  }
}

/**
 * The client-certificate facts of an established server-side TLS socket: null when the client
 * sent none; unverified when it does not chain to the configured CA (or its identities cannot
 * be read). `socket.authorized` must have been judged (tls.Server, smtp-server, or
 * judgePeerCertificate).
 */
export function clientCertificateOf(socket: tls.TLSSocket): ClientCertificateFacts | null {
  let peer: NodeX509 | undefined;
  try {
    peer = socket.getPeerX509Certificate();
  } catch {
    return null;
  }
  if (!peer) return null;
  if (socket.authorized !== true) {
    const reason = socket.authorizationError;
    return { verified: false, reason: typeof reason === 'string' ? reason : reason ? String(reason.message ?? reason) : 'not verified' };
  }
  try {
    const ids = certificateIdentities(peer.raw);
    return { verified: true, ...ids, fingerprint: createHash('sha256').update(peer.raw).digest('hex') };
  } catch {
    return { verified: false, reason: 'certificate cannot be read' };
  }
}

/**
 * Reads `client-certificate-ca-file` (re-read when the path or the file changes). Returns null
 * when the setting is empty, and also when the file is unreadable or has no certificate: then
 * no client certificate is requested, EXTERNAL is not offered, and `onProblem` is told once.
 */
export function clientCaLoader(path: () => string, onProblem: (detail: string) => void = () => {}): () => ClientCa | null {
  let cached: { path: string; mtimeMs: number; size: number; value: ClientCa | null } | null = null;
  return () => {
    let p: string;
    try {
      p = path();
    } catch {
      return cached?.value ?? null;
    }
    if (!p) {
      cached = null;
      return null;
    }
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      if (!cached || cached.path !== p || cached.mtimeMs !== -1) onProblem(`client-certificate-ca-file ${p}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'}); client certificates are not requested`);
      cached = { path: p, mtimeMs: -1, size: -1, value: null };
      return null;
    }
    if (cached && cached.path === p && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.value;
    let value: ClientCa | null = null;
    try {
      const text = readFileSync(p, 'utf8');
      const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      for (const b of blocks) new NodeX509(b); // throws on a damaged certificate
      if (blocks.length === 0) onProblem(`client-certificate-ca-file ${p}: no PEM certificate found; client certificates are not requested`);
      else {
        const pem = blocks.join('\n') + '\n';
        value = { pem, id: createHash('sha256').update(pem).digest('hex').slice(0, 16) };
      }
    } catch (err) {
      onProblem(`client-certificate-ca-file ${p}: ${(err as Error).message}; client certificates are not requested`);
    }
    cached = { path: p, mtimeMs: st.mtimeMs, size: st.size, value };
    return value;
  };
}
