/**
 * TlsContextProvider: what a listener or a STARTTLS upgrade needs to speak TLS. The provider is
 * asked for options at every new connection, so a replaced certificate reaches new connections
 * without a restart.
 */
import * as tls from 'node:tls';
import { makeSelfSigned } from './selfsigned.js';
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
