/**
 * The TLS policy, in one place: protocol versions, cipher suites, server preference, no
 * renegotiation. Every TLS server and STARTTLS upgrade in Portcullis takes its options from here.
 */
import type * as tls from 'node:tls';
import { constants } from 'node:crypto';

/**
 * OpenSSL options: refuse any renegotiation at the library level (a client's renegotiation
 * request is answered with a no_renegotiation alert) and never compress (CRIME).
 */
export const SECURE_OPTIONS = constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_COMPRESSION;

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

/** TLS 1.2 suites: forward-secret (ECDHE) AEAD only, server order (ECDSA first, then RSA). */
export const TLS12_CIPHERS: readonly string[] = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
];

/** TLS 1.3 suites (all AEAD and forward-secret by design). */
export const TLS13_CIPHERSUITES: readonly string[] = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
];

export interface TlsPolicyOptions {
  minVersion?: TlsMinVersion;
  /**
   * CA certificates client certificates are verified against (SASL EXTERNAL). When set, a
   * client certificate is requested but not required: clients without one are unaffected.
   */
  clientCa?: { pem: string; id: string } | null;
}

/** The policy part of server options (no certificate): merge with a secureContext or SNICallback. */
export function tlsPolicyOptions(opts: TlsPolicyOptions = {}): tls.TlsOptions {
  return {
    minVersion: opts.minVersion ?? 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    // Node takes TLS 1.3 suites in the same list (it splits them out).
    ciphers: [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS].join(':'),
    honorCipherOrder: true,
    secureOptions: SECURE_OPTIONS,
    ecdhCurve: 'X25519:P-256:P-384',
    ...(opts.clientCa ? { requestCert: true, rejectUnauthorized: false } : {}),
    // No session tickets keyed per process: keeps forward secrecy independent of process lifetime.
    // (Session resumption still works within TLS 1.3 via PSK from the same context.)
  };
}

/** Options for tls.createSecureContext: policy plus the key material. */
export function secureContextOptions(key: string | Buffer, cert: string | Buffer, opts: TlsPolicyOptions = {}): tls.SecureContextOptions {
  const p = tlsPolicyOptions(opts);
  return {
    key, cert,
    minVersion: p.minVersion, maxVersion: p.maxVersion,
    ciphers: p.ciphers, honorCipherOrder: p.honorCipherOrder,
    secureOptions: p.secureOptions,
    ecdhCurve: p.ecdhCurve,
    // With a client certificate requested, OpenSSL refuses to resume a session (ticket or id)
    // unless the context has a session-id context: resuming clients would get a fatal alert.
    ...(opts.clientCa ? { ca: opts.clientCa.pem, sessionIdContext: `portcullis-${opts.clientCa.id}`.slice(0, 32) } : {}),
  };
}

/**
 * Applies per-socket policy once a server-side TLSSocket exists: client-initiated
 * renegotiation is refused (TLS 1.2; TLS 1.3 has none).
 */
export function hardenTlsSocket(socket: tls.TLSSocket): void {
  socket.disableRenegotiation();
}
