/**
 * Which services present which stored certificate: each service's certificate-name setting
 * (imap4 and pop3 x509-certificate-name, submission tls-certificate-name, admin
 * x509-certificate-name) resolved as the server resolves it. Shared by `cert list|remove` and
 * the admin API, so both refuse to remove a certificate in use.
 */
import { adminSettings, imapSettings, loadConfig, popSettings } from '../config/config.js';
import { smtpSettings } from '../smtp/settings.js';
import type { CertStore } from '../tls/certstore.js';

/** Certificate name to the services using it. */
export function certificateUsage(dataDir: string, store: CertStore): Map<string, string[]> {
  const cfg = loadConfig(dataDir);
  const map = new Map<string, string[]>();
  const settings: Array<[string, string]> = [
    ['imap4', imapSettings(cfg).x509CertificateName],
    ['pop3', popSettings(cfg).x509CertificateName],
    ['submission', smtpSettings(cfg).tlsCertificateName],
    ['admin', adminSettings(cfg).x509CertificateName],
  ];
  for (const [service, name] of settings) {
    const c = store.select(name) ?? store.get(name);
    if (c) map.set(c.info.name, [...(map.get(c.info.name) ?? []), service]);
  }
  return map;
}
