/**
 * Gathers the analyzer's facts from a data dir: the config (effective settings), the
 * certificate store (DATA_DIR/certs, read as the server reads it, plus each signature
 * algorithm via @peculiar/x509), permissions of the sensitive paths and free disk space.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import '../tls/reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { adminSettings, authSettings, configPath, imapSettings, popSettings, serverSettings, type ConfigFile, type ProtocolSettings } from '../config/config.js';
import { CertStore } from '../tls/certstore.js';
import { tlsPolicyOptions } from '../tls/policy.js';
import { lmtpSettings, smtpSettings, type SmtpConfigSections } from '../smtp/settings.js';
import { protocolLogDir } from './protocol-log.js';
import type { AnalyzerInput, CertificateFacts, ConnectionSettingFacts, ProtocolFacts } from './analyzer.js';

/** The signature hash of a PEM certificate ("SHA-256", "SHA-1", ... or "unknown"). */
export function signatureHashOf(certPem: string): string {
  try {
    const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(certPem)?.[0];
    if (!block) return 'unknown';
    const alg = new x509.X509Certificate(block).signatureAlgorithm as { name?: string; hash?: { name?: string } };
    if (alg.hash?.name) return alg.hash.name;
    if (alg.name === 'Ed25519' || alg.name === 'Ed448') return alg.name;
    return 'unknown';
  } catch {
    return 'unknown';
  }
}

function protocolLogFacts(s: Pick<ProtocolSettings, 'protocolLogEnabled' | 'protocolLogMaxAge' | 'protocolLogMaxDirectorySize'>): ProtocolFacts['protocolLog'] {
  return { enabled: s.protocolLogEnabled, maxAgeDays: s.protocolLogMaxAge ?? 0, maxTotalBytes: s.protocolLogMaxDirectorySize ?? 0 };
}

/** The host:port:SSL|TLS| entries of a protocol's internal- and external-connection-settings. */
export function connectionSettingFacts(s: Pick<ProtocolSettings, 'internalConnectionSettings' | 'externalConnectionSettings'>): ConnectionSettingFacts[] {
  const out: ConnectionSettingFacts[] = [];
  const lists = [['internal-connection-settings', s.internalConnectionSettings], ['external-connection-settings', s.externalConnectionSettings]] as const;
  for (const [setting, entries] of lists) {
    for (const entry of entries ?? []) {
      const m = /^\[?(.*?)\]?:(\d{1,5}):(SSL|TLS)?$/i.exec(entry);
      if (m) out.push({ setting, entry, host: m[1], port: Number(m[2]), encryption: (m[3] ?? '').toUpperCase() as ConnectionSettingFacts['encryption'] });
    }
  }
  return out;
}

function protocolFacts(cfg: ConfigFile, store: CertStore): ProtocolFacts[] {
  const imap = imapSettings(cfg);
  const pop = popSettings(cfg);
  const out: ProtocolFacts[] = [
    {
      protocol: 'imap4', section: 'imap', frontend: 'imap4', backend: 'imap4-backend', loginType: imap.loginType,
      sslBindings: imap.sslBindings, cleartextBindings: imap.unencryptedOrTlsBindings,
      certificateSetting: 'x509-certificate-name', certificateName: imap.x509CertificateName,
      selectedCertificate: (store.select(imap.x509CertificateName) ?? store.get(imap.x509CertificateName))?.info.name ?? null, protocolLog: protocolLogFacts(imap),
      connectionSettings: connectionSettingFacts(imap),
    },
    {
      protocol: 'pop3', section: 'pop', frontend: 'pop3', backend: 'pop3-backend', loginType: pop.loginType,
      sslBindings: pop.sslBindings, cleartextBindings: pop.unencryptedOrTlsBindings,
      certificateSetting: 'x509-certificate-name', certificateName: pop.x509CertificateName,
      selectedCertificate: (store.select(pop.x509CertificateName) ?? store.get(pop.x509CertificateName))?.info.name ?? null, protocolLog: protocolLogFacts(pop),
      connectionSettings: connectionSettingFacts(pop),
    },
  ];
  try {
    const smtp = smtpSettings(cfg as ConfigFile & SmtpConfigSections);
    out.push({
      protocol: 'smtp', section: 'smtp', frontend: 'submission', backend: null, loginType: smtp.loginType,
      sslBindings: smtp.sslBindings, cleartextBindings: smtp.unencryptedOrTlsBindings,
      certificateSetting: 'tls-certificate-name', certificateName: smtp.tlsCertificateName,
      selectedCertificate: (store.select(smtp.tlsCertificateName) ?? store.get(smtp.tlsCertificateName))?.info.name ?? null, protocolLog: protocolLogFacts(smtp),
      fqdn: smtp.fqdn,
    });
  } catch {
    // Submission settings unreadable: the config check of `portcullis smtp get` reports it.
  }
  return out;
}

function lmtpHosts(cfg: ConfigFile): string[] | null {
  try {
    return lmtpSettings(cfg as ConfigFile & SmtpConfigSections).bindings.flatMap((b) => (b.kind === 'tcp' ? [b.host] : []));
  } catch {
    return null;
  }
}

function sensitivePaths(dataDir: string): Array<{ path: string; mode: number }> {
  const out: Array<{ path: string; mode: number }> = [];
  const add = (p: string): void => {
    try {
      out.push({ path: p, mode: statSync(p).mode & 0o777 });
    } catch {
      // absent: nothing to check
    }
  };
  add(dataDir);
  add(configPath(dataDir));
  const certs = join(dataDir, 'certs');
  add(certs);
  if (existsSync(certs)) for (const f of readdirSync(certs)) add(join(certs, f));
  for (const f of ['mail.sqlite', 'blobs', 'logs']) if (existsSync(join(dataDir, f))) add(join(dataDir, f));
  return out;
}

/** Protocol log directories named by log-file-location (outside the data dir), when they exist. */
function protocolLogLocations(dataDir: string, cfg: ConfigFile): Array<{ path: string; mode: number }> {
  const out: Array<{ path: string; mode: number }> = [];
  const all: Array<[string, { logFileLocation?: string }]> = [['imap4', imapSettings(cfg)], ['pop3', popSettings(cfg)]];
  try {
    all.push(['smtp', smtpSettings(cfg as ConfigFile & SmtpConfigSections)]);
  } catch {
    // Submission settings unreadable: reported elsewhere.
  }
  for (const [protocol, s] of all) {
    if (!s.logFileLocation) continue;
    try {
      out.push({ path: protocolLogDir(dataDir, protocol, s.logFileLocation), mode: statSync(s.logFileLocation).mode & 0o777 });
    } catch {
      // not created yet: serve creates it 0700
    }
  }
  return out;
}

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export async function gatherAnalyzerInput(dataDir: string, cfg: ConfigFile, now: Date = new Date()): Promise<AnalyzerInput> {
  const store = CertStore.forDataDir(dataDir);
  const protocols = protocolFacts(cfg, store);
  const infos = store.list();
  const certificates: CertificateFacts[] = infos.map((info) => ({
    name: info.name,
    subjectAltNames: info.sans,
    notAfter: info.notAfter,
    selfSigned: info.selfSigned,
    keyType: info.keyType,
    keySize: info.keySize,
    signatureHash: signatureHashOf(store.get(info.name)?.certPem ?? ''),
    inUseBy: protocols.filter((p) => p.selectedCertificate === info.name && p.sslBindings.length + p.cleartextBindings.length > 0).map((p) => p.protocol),
  }));
  const readable = new Set(infos.map((i) => `${i.name}.json`));
  const certDir = join(dataDir, 'certs');
  const unreadable = existsSync(certDir) ? readdirSync(certDir).filter((f) => f.endsWith('.json') && !readable.has(f)) : [];
  const policy = tlsPolicyOptions({ minVersion: serverSettings(cfg).tlsMinVersion });
  const auth = authSettings(cfg);
  return {
    hostname: cfg.hostname,
    services: cfg.services,
    protocols,
    certificates,
    unreadableCertificates: unreadable,
    tls: { minVersion: String(policy.minVersion ?? 'TLSv1.2'), ciphers: String(policy.ciphers ?? '').split(':').filter(Boolean) },
    paths: [...sensitivePaths(dataDir), ...protocolLogLocations(dataDir, cfg)],
    dataDir,
    freeDiskBytes: await freeBytes(dataDir),
    throttling: { allowList: auth.allowList, maxDelayMs: auth.maxDelayMs, ipBlockAfter: auth.ipBlockAfter },
    lmtpHosts: lmtpHosts(cfg),
    adminBindings: adminSettings(cfg).bindings,
    trustedProxies: serverSettings(cfg).trustedProxies,
    now,
  };
}
