/**
 * Settings of the submission service (section "smtp", `portcullis smtp get|set`) and of the LMTP
 * service (section "lmtp", `portcullis lmtp get|set`), declared in the same shape as
 * config/schema.ts so the CLI, validation and docs are generated from the same declarations.
 * Names follow Exchange's Set-ReceiveConnector / Set-TransportConfig where one exists.
 */
import { hostname as osHostname } from 'node:os';
import { LOGIN_TYPES, type LoginType } from '../auth/types.js';
import { ConfigError, memoSettings, parseBindings, validateSetting, type Binding, type ConfigFile } from '../config/config.js';
import { camel, type SettingDef, type SettingValue } from '../config/schema.js';

export { SMTP_SETTINGS, LMTP_SETTINGS } from '../config/schema-smtp.js';
import { SMTP_SETTINGS, LMTP_SETTINGS } from '../config/schema-smtp.js';

export type SmarthostTls = 'none' | 'starttls' | 'implicit';

export interface SmtpSettings {
  loginType: LoginType;
  sslBindings: Binding[];
  unencryptedOrTlsBindings: Binding[];
  tlsCertificateName: string;
  /** Never empty in the typed settings: the config hostname (or the OS hostname) when unset. */
  fqdn: string;
  banner: string;
  requireTls: boolean;
  maxMessageSize: number;
  maxRecipients: number;
  maxConnections: number;
  maxConnectionFromSingleIp: number;
  connectionInactivityTimeout: number;
  smarthost: string;
  smarthostTls: SmarthostTls;
  smarthostTlsVerify: boolean;
  smarthostAuthUser: string;
  smarthostAuthPasswordFile: string;
  retryInitialInterval: number;
  retryMaxInterval: number;
  maxDeliveryAttempts: number;
  protocolLogEnabled: boolean;
  logFileRollOverSettings: 'Hourly' | 'Daily' | 'Weekly' | 'Monthly';
  /** Bytes; 0: roll over by time only. */
  logPerFileSizeQuota: number;
  /** Days; 0: no age limit. */
  protocolLogMaxAge: number;
  /** Bytes; 0: no size limit. */
  protocolLogMaxDirectorySize: number;
  /** Absolute directory, or '' for DATA_DIR/logs/smtp. */
  logFileLocation: string;
}

export type LmtpBinding = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface LmtpSettings {
  bindings: LmtpBinding[];
  maxMessageSize: number;
  maxRecipients: number;
  maxConnections: number;
  connectionInactivityTimeout: number;
  plusAddressingEnabled: boolean;
}

/** The sections this module adds to the config file (additive to ConfigFile). */
export interface SmtpConfigSections {
  smtp?: Record<string, SettingValue>;
  lmtp?: Record<string, SettingValue>;
}

export function parseLmtpBindings(text: string): LmtpBinding[] {
  const out: LmtpBinding[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (item.startsWith('unix:')) {
      const path = item.slice(5);
      if (!path.startsWith('/')) throw new ConfigError(`bindings: "${item}" is not allowed (allowed: unix:/absolute/path)`);
      out.push({ kind: 'unix', path });
    } else {
      for (const b of parseBindings(item, 'bindings')) out.push({ kind: 'tcp', host: b.host, port: b.port });
    }
  }
  return out;
}

function effective(defs: SettingDef[], stored: Record<string, SettingValue> | undefined, section: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of defs) {
    const raw = stored?.[def.name];
    let value: SettingValue = def.default;
    if (raw !== undefined) {
      try {
        value = validateSetting(def, raw);
      } catch (err) {
        throw new ConfigError(`${section}.${(err as Error).message}`);
      }
    }
    out[camel(def.name)] = def.type.kind === 'bindings' ? parseBindings(String(value), def.name) : value;
  }
  return out;
}

/** Typed submission settings from the config file's "smtp" section (defaults for what is unset). */
export function smtpSettings(cfg: Pick<ConfigFile, 'hostname'> & SmtpConfigSections): SmtpSettings {
  return memoSettings(cfg, 'smtp', JSON.stringify([cfg.smtp, cfg.hostname]), () => {
    const s = effective(SMTP_SETTINGS, cfg.smtp, 'smtp') as unknown as SmtpSettings;
    if (!s.fqdn) s.fqdn = cfg.hostname || osHostname();
    return s;
  });
}

/** Typed LMTP settings from the config file's "lmtp" section. */
export function lmtpSettings(cfg: SmtpConfigSections): LmtpSettings {
  return memoSettings(cfg, 'lmtp', JSON.stringify(cfg.lmtp), () => {
    const e = effective(LMTP_SETTINGS, cfg.lmtp, 'lmtp');
    return { ...(e as unknown as Omit<LmtpSettings, 'bindings'>), bindings: parseLmtpBindings(String(e.bindings)) };
  });
}

/** Defaults with no listeners plus overrides: for tests that start the services directly. */
export function testSmtpSettings(overrides: Partial<SmtpSettings> = {}): SmtpSettings {
  return { ...smtpSettings({ hostname: 'localhost' }), sslBindings: [], unencryptedOrTlsBindings: [], ...overrides };
}

export function testLmtpSettings(overrides: Partial<LmtpSettings> = {}): LmtpSettings {
  return { ...lmtpSettings({}), bindings: [], ...overrides };
}
