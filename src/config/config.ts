/**
 * The one config file of a data dir (portcullis.json): load, validate, typed access, atomic save.
 * Only values an operator changed are written; defaults come from schema.ts at load time, so
 * `get` can say whether a value was changed and new defaults reach old installations.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoginType } from '../auth/types.js';
import {
  SERVICE_NAMES, SETTINGS_SECTIONS, camel, type SectionName, type ServiceName, type SettingDef,
  type SettingValue, type StartupType,
} from './schema.js';
import { LATEST_CONFIG_VERSION, migrateRaw, migrationLine, pendingSteps, versionProblem, writeBackup, type RawConfig } from './migrations.js';

export const CONFIG_FILE = 'portcullis.json';

/**
 * The JSON Schema of the config file that comes with this installation (docs/, generated from
 * schema.ts); saveConfig writes it as the file's `$schema` so editors can check and complete it.
 */
export const CONFIG_SCHEMA_URL = new URL('../../../docs/portcullis-config.schema.json', import.meta.url).href;
/** The version this Portcullis writes; older files are migrated (migrations.ts). */
export const CONFIG_VERSION = LATEST_CONFIG_VERSION;

export interface Binding {
  host: string;
  port: number;
}

export interface ProtocolSettings {
  loginType: LoginType;
  sslBindings: Binding[];
  unencryptedOrTlsBindings: Binding[];
  x509CertificateName: string;
  banner: string;
  maxConnections: number;
  maxConnectionFromSingleIp: number;
  maxConnectionsPerUser: number;
  maxCommandSize: number;
  authenticatedConnectionTimeout: number;
  preAuthenticatedConnectionTimeout: number;
  protocolLogEnabled: boolean;
  logFileRollOverSettings: 'Hourly' | 'Daily' | 'Weekly' | 'Monthly';
  /** Bytes; 0: roll over by time only. */
  logPerFileSizeQuota: number;
  /** Days; 0: no age limit. */
  protocolLogMaxAge: number;
  /** Bytes; 0: no size limit. */
  protocolLogMaxDirectorySize: number;
  enableExactRfc822Size: boolean;
  /** Protocol log directory; empty: DATA_DIR/logs/<protocol>. */
  logFileLocation: string;
  /** host:port:SSL|TLS| entries. */
  internalConnectionSettings: string[];
  externalConnectionSettings: string[];
  suppressReadReceipt: boolean;
  proxyTargetPort: number;
  /** HOST[:PORT] of remote backends; empty: the in-process backend. */
  proxyTargets: string[];
  /** Where this node's backend accepts proxied sessions; empty: none. */
  backendBindings: Binding[];
}

export interface ImapSettings extends ProtocolSettings {
  maxLiteralSize: number;
  showHiddenFoldersEnabled: boolean;
}

export interface PopSettings extends ProtocolSettings {
  messageRetrievalSortOrder: 'Ascending' | 'Descending';
  loginDelay: number;
  expireDays: number;
}

/** The file as stored. */
export interface ConfigFile {
  version: number;
  hostname: string;
  store: { kind: 'sqlite' } | { kind: 'postgres'; url: string };
  services: Record<ServiceName, StartupType>;
  imap: Record<string, SettingValue>;
  pop: Record<string, SettingValue>;
  smtp: Record<string, SettingValue>;
  lmtp: Record<string, SettingValue>;
  server: Record<string, SettingValue>;
  admin: Record<string, SettingValue>;
  auth: Record<string, SettingValue>;
  directory: Record<string, SettingValue>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseBindings(text: string, setting = 'bindings'): Binding[] {
  const out: Binding[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(raw) ?? /^([0-9A-Za-z.-]+):(\d{1,5})$/.exec(raw);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !(port >= 0 && port <= 65535)) {
      throw new ConfigError(`${setting}: "${raw}" is not an address:port binding (allowed: 127.0.0.1:993, [::]:993, host:port, comma-separated; port 1-65535, or 0 for any free port)`);
    }
    out.push({ host: m[1], port });
  }
  return out;
}

export function formatBinding(b: Binding): string {
  return b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}

/** Checks one value against its declaration; returns it normalised or throws ConfigError. */
export function validateSetting(def: SettingDef, input: SettingValue | string): SettingValue {
  const t = def.type;
  const name = def.name;
  switch (t.kind) {
    case 'enum': {
      const hit = t.values.find((v) => v.toLowerCase() === String(input).toLowerCase());
      if (!hit) throw new ConfigError(`${name}: "${input}" is not allowed (allowed: ${t.values.join(', ')})`);
      return hit;
    }
    case 'int': {
      const s = String(input).trim();
      const n = /^-?\d+$/.test(s) ? Number(s) : NaN;
      if (!Number.isSafeInteger(n) || n < t.min || n > t.max) {
        throw new ConfigError(`${name}: "${input}" is not allowed (allowed: a whole number from ${t.min} to ${t.max}${t.unit ? ' ' + t.unit : ''})`);
      }
      return n;
    }
    case 'bool': {
      const s = String(input).toLowerCase();
      if (['true', '1', 'yes', 'on', '$true'].includes(s)) return true;
      if (['false', '0', 'no', 'off', '$false'].includes(s)) return false;
      throw new ConfigError(`${name}: "${input}" is not allowed (allowed: true or false)`);
    }
    case 'string': {
      const s = String(input);
      if ((t.maxLength !== undefined && s.length > t.maxLength) || (t.pattern && !t.pattern.test(s))) {
        throw new ConfigError(`${name}: "${s}" is not allowed (allowed: ${t.hint ?? 'text'})`);
      }
      return s;
    }
    case 'bindings': {
      const list = Array.isArray(input) ? input.join(',') : String(input);
      const parsed = parseBindings(list, name);
      const seen = new Set<string>();
      for (const b of parsed) {
        const key = formatBinding(b);
        if (seen.has(key)) throw new ConfigError(`${name}: "${key}" is listed twice (allowed: each binding once)`);
        seen.add(key);
      }
      // Stored as a JSON array of strings since config version 2 (a comma-separated string is read too).
      return parsed.map(formatBinding);
    }
    case 'string-list': {
      const items = (Array.isArray(input) ? input : String(input).split(',')).map((s) => String(s).trim()).filter(Boolean);
      for (const item of items) {
        if (t.item && !t.item.test(item)) throw new ConfigError(`${name}: "${item}" is not allowed (allowed: ${t.hint ?? 'comma-separated list'})`);
      }
      return items;
    }
  }
}

export function defaultConfig(hostname: string): ConfigFile {
  const services = Object.fromEntries(SERVICE_NAMES.map((s) => [s, 'Disabled'])) as Record<ServiceName, StartupType>;
  return { version: CONFIG_VERSION, hostname, store: { kind: 'sqlite' }, services, imap: {}, pop: {}, smtp: {}, lmtp: {}, server: {}, admin: {}, auth: {}, directory: {} };
}

export function configPath(dataDir: string): string {
  return join(dataDir, CONFIG_FILE);
}

/** Reads and fully validates the config; throws ConfigError with the setting name on any problem. */
export function loadConfig(dataDir: string): ConfigFile {
  return validateConfig(readRawConfig(dataDir));
}

function readRawConfig(dataDir: string): unknown {
  const path = configPath(dataDir);
  if (!existsSync(path)) throw new ConfigError(`no config at ${path} (run: portcullis init --hostname NAME)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

export function validateConfig(raw: unknown): ConfigFile {
  return buildConfig(raw, (message) => { throw new ConfigError(message); })!;
}

/** Every problem of a data dir's config file, one line each (`config check`); empty when sound. */
export function configFileProblems(dataDir: string): string[] {
  const problems: string[] = [];
  try {
    buildConfig(readRawConfig(dataDir), (message, section) => { problems.push(section ? `${section}.${message}` : message); });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
  }
  return problems;
}

/**
 * Validates a parsed config file and fills in defaults. `report` is told each problem: it throws
 * (loadConfig: the first problem stops) or collects them (config check: every bad setting is
 * skipped and the rest checked). Returns null when the file is too broken to go on.
 */
function buildConfig(raw: unknown, report: (message: string, section?: string) => void): ConfigFile | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    report('config: not an object');
    return null;
  }
  const problem = versionProblem((raw as RawConfig).version);
  if (problem) {
    report(problem);
    return null;
  }
  // Older versions are migrated in memory; serve and the writing commands save the result.
  const r = migrateRaw(raw as RawConfig).config as Partial<ConfigFile> & { $schema?: unknown };
  if (typeof r.hostname !== 'string' || !r.hostname) {
    report('hostname: missing');
    return null;
  }
  const cfg = defaultConfig(r.hostname);
  if (r.store?.kind === 'postgres' && typeof r.store.url === 'string') cfg.store = { kind: 'postgres', url: r.store.url };
  for (const [name, type] of Object.entries(r.services ?? {})) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) report(`services: unknown service "${name}" (allowed: ${SERVICE_NAMES.join(', ')})`);
    else if (type !== 'Automatic' && type !== 'Disabled') report(`services.${name}: "${String(type)}" is not allowed (allowed: Automatic, Disabled)`);
    else cfg.services[name as ServiceName] = type;
  }
  for (const section of Object.keys(SETTINGS_SECTIONS) as SectionName[]) {
    const defs = SETTINGS_SECTIONS[section];
    for (const [name, value] of Object.entries((r[section] as Record<string, SettingValue>) ?? {})) {
      const def = defs.find((d) => d.name === name);
      if (!def) {
        report(`${section}.${name}: unknown setting`);
        continue;
      }
      try {
        cfg[section][name] = validateSetting(def, value);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        report(err.message, section);
      }
    }
  }
  for (const conflict of bindingConflicts(cfg)) report(conflict);
  return cfg;
}

/**
 * Settings that make a listener: the protocols' ssl-/unencrypted-or-tls-/backend-bindings, the
 * admin API's and LMTP's bindings. The CLI, the admin API and `config check` all refuse two of
 * them on one address and port.
 */
const LISTENER_SETTINGS = ['ssl-bindings', 'unencrypted-or-tls-bindings', 'backend-bindings', 'bindings'];

/** The TCP bindings of a listener setting (LMTP's unix: sockets are skipped; a malformed value is reported elsewhere). */
function tcpBindings(value: SettingValue, setting: string): Binding[] {
  const items = (Array.isArray(value) ? value : String(value).split(',')).map((x) => String(x).trim()).filter((x) => x && !x.startsWith('unix:'));
  try {
    return parseBindings(items.join(','), setting);
  } catch {
    return [];
  }
}

/** Two listeners may not share an address and port (port 0, "any free port", never clashes). */
export function checkBindingConflicts(cfg: ConfigFile, changed?: { section: SectionName; names: string[] }): void {
  const problems = bindingConflicts(cfg, changed);
  if (problems.length) throw new ConfigError(problems[0]);
}

/**
 * Every listener clash and every connection setting that names a port its service does not
 * bind; one line each. Settings in `changed` are checked last, so a clash is reported under the
 * name of the setting just given.
 */
export function bindingConflicts(cfg: ConfigFile, changed?: { section: SectionName; names: string[] }): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const pairs = (Object.keys(SETTINGS_SECTIONS) as SectionName[]).flatMap((section) => LISTENER_SETTINGS.map((setting) => ({ section, setting })));
  const isChanged = (p: { section: SectionName; setting: string }) => p.section === changed?.section && changed.names.includes(p.setting);
  for (const { section, setting } of [...pairs.filter((p) => !isChanged(p)), ...pairs.filter(isChanged)]) {
    {
      const def = SETTINGS_SECTIONS[section].find((d) => d.name === setting);
      if (!def) continue;
      for (const b of tcpBindings(cfg[section][setting] ?? def.default, setting)) {
        if (b.port === 0) continue;
        const key = formatBinding(b);
        const here = `${section} ${setting}`;
        const other = seen.get(key);
        if (other) problems.push(`${setting}: ${key} is already used by ${other} (allowed: an address:port no other listener uses)`);
        else seen.set(key, here);
      }
    }
  }
  problems.push(...connectionSettingProblems(cfg));
  return problems;
}

/** checkConnectionSettings, throwing the first problem. */
export function checkConnectionSettings(cfg: ConfigFile): void {
  const problems = connectionSettingProblems(cfg);
  if (problems.length) throw new ConfigError(problems[0]);
}

/**
 * internal- and external-connection-settings of IMAP and POP3 must name ports this service
 * listens on: host:port:SSL an ssl-bindings port, host:port:TLS and host:port: (cleartext) an
 * unencrypted-or-tls-bindings port. A binding on port 0 (any free port, tests) matches any port.
 */
function connectionSettingProblems(cfg: ConfigFile): string[] {
  const problems: string[] = [];
  for (const section of ['imap', 'pop'] as const) {
    const defs = SETTINGS_SECTIONS[section];
    const ports = (setting: string): number[] => {
      const def = defs.find((d) => d.name === setting)!;
      return parseBindings(String(cfg[section][setting] ?? def.default), setting).map((b) => b.port);
    };
    for (const setting of ['internal-connection-settings', 'external-connection-settings']) {
      const def = defs.find((d) => d.name === setting);
      if (!def) continue;
      const entries = (cfg[section][setting] ?? def.default) as string[];
      for (const entry of Array.isArray(entries) ? entries : []) {
        const m = /:(\d{1,5}):(SSL|TLS)?$/i.exec(entry);
        if (!m) continue; // the item pattern was checked by validateSetting
        const port = Number(m[1]);
        const kind = (m[2] ?? '').toUpperCase() === 'SSL' ? 'ssl-bindings' : 'unencrypted-or-tls-bindings';
        const allowed = ports(kind);
        if (allowed.includes(0) || allowed.includes(port)) continue;
        const what = kind === 'ssl-bindings' ? 'SSL' : m[2] ? 'TLS' : 'cleartext';
        problems.push(`${setting}: "${entry}" names port ${port}, which is not a port of ${section} ${kind} (allowed for ${what} entries: ${allowed.length ? [...new Set(allowed)].join(', ') : `none: ${section} ${kind} is empty`})`);
      }
    }
  }
  return problems;
}

/** The version of the config file on disk, or null when there is none or it cannot be read. */
function versionOnDisk(path: string): number | null {
  try {
    const v = (JSON.parse(readFileSync(path, 'utf8')) as RawConfig).version;
    return typeof v === 'number' ? v : null;
  } catch {
    return null;
  }
}

/** Migration steps the file on disk still needs (empty when current, missing or unreadable). */
export function pendingMigrations(dataDir: string): Array<{ from: number; to: number; what: string }> {
  const v = versionOnDisk(configPath(dataDir));
  return v !== null && v < CONFIG_VERSION && !versionProblem(v) ? pendingSteps(v) : [];
}

/** Where saveConfig reports a migration it saves (serve passes its own output). */
export type MigrationReport = (line: string) => void;
const toStderr: MigrationReport = (line) => process.stderr.write(`portcullis: ${line}\n`);

/**
 * Saves the migrated config if the file on disk is of an older version (keeping it as
 * portcullis.json.v<old>.bak) and reports one line per step. Returns the number of steps.
 */
export function migrateConfigFile(dataDir: string, report: MigrationReport = toStderr): number {
  const steps = pendingMigrations(dataDir);
  if (steps.length) saveConfig(dataDir, loadConfig(dataDir), report);
  return steps.length;
}

/**
 * Writes the config atomically (temp file, fsync, rename). When it replaces a file of an older
 * version, that file is kept as portcullis.json.v<old>.bak and each migration step is reported.
 */
export function saveConfig(dataDir: string, cfg: ConfigFile, report: MigrationReport = toStderr): void {
  const path = configPath(dataDir);
  const old = existsSync(path) ? versionOnDisk(path) : null;
  const steps = old !== null && old < CONFIG_VERSION ? pendingSteps(old) : [];
  if (steps.length) writeBackup(path, old!);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify({ $schema: CONFIG_SCHEMA_URL, ...cfg }, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  for (const step of steps) report(migrationLine(step));
}

/**
 * Effective settings are asked for on every command, login and log line, and computing them
 * (camel-casing every key, validating every stored value) cost ≈ 6 % of a busy IMAP server's
 * CPU. `memoSettings` keeps the last value computed per (config object, kind) together with a
 * stamp of what it was computed from (the serialised overrides), so an edit in place (the CLI's
 * set) or a reload is never served stale. Values are frozen: callers must copy to change.
 */
const settingsMemo = new WeakMap<object, Map<string, { stamp: string; value: unknown }>>();

export function memoSettings<T extends object>(owner: object, kind: string, stamp: string, compute: () => T): T {
  let perOwner = settingsMemo.get(owner);
  if (!perOwner) settingsMemo.set(owner, (perOwner = new Map()));
  const hit = perOwner.get(kind);
  if (hit && hit.stamp === stamp) return hit.value as T;
  const value = Object.freeze(compute());
  perOwner.set(kind, { stamp, value });
  return value;
}

/** The effective value of every setting of a section: stored value or default. */
export function effectiveSection(cfg: ConfigFile, section: SectionName): Record<string, unknown> {
  return memoSettings(cfg, section, JSON.stringify(cfg[section]), () => computeEffectiveSection(cfg, section));
}

function computeEffectiveSection(cfg: ConfigFile, section: SectionName): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of SETTINGS_SECTIONS[section]) {
    const value = cfg[section][def.name] ?? def.default;
    out[camel(def.name)] = def.type.kind === 'bindings' ? parseBindings(Array.isArray(value) ? value.join(',') : String(value), def.name) : value;
  }
  return out;
}

export interface ServerSettings {
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Shared by every node of an installation; empty: no remote hand-off. */
  clusterSecretFile: string;
  /** CIDRs allowed to connect to backend-bindings. */
  trustedFrontends: string[];
  /** CIDRs that must (and alone may) send a PROXY protocol header. */
  trustedProxies: string[];
  runAsUser: string;
}

export function serverSettings(cfg: ConfigFile): ServerSettings {
  return effectiveSection(cfg, 'server') as unknown as ServerSettings;
}

export interface AdminSettings {
  bindings: Binding[];
  x509CertificateName: string;
}

export interface AuthSettings {
  masterUsers: string[];
  allowList: string[];
  freeFailures: number;
  maxDelayMs: number;
  ipBlockAfter: number;
  blockMinutes: number;
  windowMinutes: number;
  baseDelayMs: number;
  ipDistinctAccountsBlockAfter: number;
  accountDistinctNetworksAlert: number;
  argon2MemoryKib: number;
  argon2Iterations: number;
  argon2Parallelism: number;
  allowWeakHashSchemes: string[];
  oauthIssuersFile: string;
  clientCertificateCaFile: string;
  clientCertificateIdentity: 'email' | 'common-name';
}

export function authSettings(cfg: ConfigFile): AuthSettings {
  return effectiveSection(cfg, 'auth') as unknown as AuthSettings;
}

export interface DirectorySettings {
  kind: 'local' | 'ldap';
  url: string;
  startTls: boolean;
  caFile: string;
  mode: 'search-then-bind' | 'bind-as-user';
  bindDn: string;
  bindPasswordFile: string;
  baseDn: string;
  userFilter: string;
  userDnTemplate: string;
  addressAttribute: string;
  quotaAttribute: string;
  imapEnabledAttribute: string;
  popEnabledAttribute: string;
  backendAttribute: string;
  timeoutMs: number;
}

export function directorySettings(cfg: ConfigFile): DirectorySettings {
  return effectiveSection(cfg, 'directory') as unknown as DirectorySettings;
}

export function adminSettings(cfg: ConfigFile): AdminSettings {
  return effectiveSection(cfg, 'admin') as unknown as AdminSettings;
}

export function imapSettings(cfg: ConfigFile): ImapSettings {
  return effectiveSection(cfg, 'imap') as unknown as ImapSettings;
}

export function popSettings(cfg: ConfigFile): PopSettings {
  return effectiveSection(cfg, 'pop') as unknown as PopSettings;
}

/** Default IMAP/POP settings with overrides: convenient for tests that start services directly. */
export function testImapSettings(overrides: Partial<ImapSettings> = {}): ImapSettings {
  return { ...imapSettings(defaultConfig('localhost')), sslBindings: [], unencryptedOrTlsBindings: [], ...overrides };
}
export function testPopSettings(overrides: Partial<PopSettings> = {}): PopSettings {
  return { ...popSettings(defaultConfig('localhost')), sslBindings: [], unencryptedOrTlsBindings: [], ...overrides };
}
