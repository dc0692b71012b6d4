/**
 * The server's view of the certificate store: one TLS provider per protocol (each chooses its
 * certificate by its own x509-certificate-name, SNI per connection), a forced re-read on SIGHUP,
 * and the warnings `serve` prints at start (test certificate in use, expiry).
 */
import { CertStore } from './certstore.js';
import { expiryStatus } from './certinfo.js';
import { createStoreTlsProvider, type TlsContextProvider } from './provider.js';
import type { Logger } from '../core/log.js';
import type { TlsPolicyOptions } from './policy.js';

export interface ServerTls {
  readonly store: CertStore;
  /**
   * `clientCertificates: false` (the admin API): never request a client certificate, even when
   * client-certificate-ca-file is set.
   */
  provider(certificateName: () => string, options?: { clientCertificates?: boolean }): TlsContextProvider;
  reload(): Promise<void>;
  /** Human-readable warnings about the certificates the given names select. */
  warnings(names?: string[]): string[];
}

export async function openServerTls(dataDir: string, logger: Logger, policy: () => TlsPolicyOptions = () => ({})): Promise<ServerTls> {
  const store = CertStore.forDataDir(dataDir);
  const warnings = (names: string[] = ['']): string[] => {
    const out = new Set<string>();
    for (const name of names) {
      const c = store.select(name) ?? store.get(name);
      if (!c) {
        out.add(`no certificate matches "${name || 'the default'}": TLS connections will fail (portcullis cert import ...)`);
        continue;
      }
      if (c.info.testingOnly) out.add(`certificate "${c.info.name}" is self-signed and for testing only; clients will not trust it (portcullis cert import ...)`);
      const exp = expiryStatus(c.info);
      if (exp !== 'ok') out.add(`certificate "${c.info.name}" ${exp.replace(/-/g, ' ')} (not after ${c.info.notAfter.toISOString()})`);
    }
    return [...out];
  };
  for (const w of warnings()) logger.warn('certificate', { detail: w });
  return {
    store,
    provider: (certificateName, options = {}) => createStoreTlsProvider(store, certificateName,
      options.clientCertificates === false ? () => ({ ...policy(), clientCa: null }) : policy),
    async reload() {
      store.reload();
    },
    warnings,
  };
}
