/**
 * TlsContextProvider: what a listener or a STARTTLS upgrade needs to speak TLS. The provider is
 * asked for options at every new connection, so a replaced certificate reaches new connections
 * without a restart.
 */
import * as tls from 'node:tls';
import { makeSelfSigned } from './selfsigned.js';
import type { CertStore, StoredCertificate } from './certstore.js';
import { secureContextOptions, tlsPolicyOptions, type TlsPolicyOptions } from './policy.js';

export interface TlsContextProvider {
  /** Options to create a TLS server or upgrade a socket (secureContext/SNICallback + policy). */
  serverOptions(): tls.TlsOptions;
}

/** A provider over one fixed key pair. */
export function createStaticTlsProvider(certPem: string, keyPem: string, policy: TlsPolicyOptions = {}): TlsContextProvider {
  const context = tls.createSecureContext(secureContextOptions(keyPem, certPem, policy));
  return {
    serverOptions(): tls.TlsOptions {
      return { ...tlsPolicyOptions(policy), secureContext: context };
    },
  };
}

export interface TestTlsProvider extends TlsContextProvider {
  /** The certificate, PEM, for clients to trust (`ca:`). */
  readonly certPem: string;
}

/** A throwaway self-signed ECDSA P-256 certificate in memory, for tests. */
export async function createTestTlsProvider(hostname = 'localhost', policy: TlsPolicyOptions = {}): Promise<TestTlsProvider> {
  const pair = await makeSelfSigned(hostname);
  const inner = createStaticTlsProvider(pair.certPem, pair.keyPem, policy);
  return { certPem: pair.certPem, serverOptions: () => inner.serverOptions() };
}

/**
 * A provider over the certificate store: the configured name picks the default certificate,
 * SNI picks per connection among all stored ones. Asked afresh for every connection, so a
 * certificate replaced in the store reaches new connections while old ones continue.
 */
export function createStoreTlsProvider(store: CertStore, certificateName: () => string, policyOf: TlsPolicyOptions | (() => TlsPolicyOptions) = {}): TlsContextProvider {
  const contexts = new Map<string, tls.SecureContext>();
  // Read at every connection, so a changed TLS policy (tls-min-version) applies without a restart.
  let policy: TlsPolicyOptions = typeof policyOf === 'function' ? policyOf() : policyOf;
  const contextFor = (c: StoredCertificate): tls.SecureContext => {
    const key = `${c.info.name}/${c.info.fingerprint}/${policy.minVersion ?? ''}/${policy.clientCa?.id ?? ''}`;
    let ctx = contexts.get(key);
    if (!ctx) {
      ctx = tls.createSecureContext(secureContextOptions(c.keyPem, c.certPem, policy));
      for (const k of contexts.keys()) if (k.startsWith(`${c.info.name}/`)) contexts.delete(k);
      contexts.set(key, ctx);
    }
    return ctx;
  };
  const fallback = (): StoredCertificate => {
    const name = certificateName();
    const c = store.select(name) ?? store.get(name) ?? store.select('');
    if (!c) throw new Error(`no certificate for "${name || 'the default name'}" in ${store.dir} (run: portcullis cert new-self-signed or cert import)`);
    return c;
  };
  return {
    serverOptions(): tls.TlsOptions {
      if (typeof policyOf === 'function') policy = policyOf();
      const base = fallback();
      return {
        ...tlsPolicyOptions(policy),
        secureContext: contextFor(base),
        SNICallback: (servername, cb) => {
          try {
            const picked = (servername ? store.select(servername) : null) ?? base;
            cb(null, contextFor(picked));
          } catch (err) {
            cb(err as Error);
          }
        },
      };
    },
  };
}
