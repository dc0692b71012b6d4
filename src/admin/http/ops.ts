/**
 * The operations behind both the JSON API and the web console: read and change settings,
 * services, certificates, users, login reports and analyzer findings. Each validates its input
 * and throws ApiError (status, message, setting) on bad input; nothing is written on a refusal.
 */
import { CertStore } from '../../tls/certstore.js';
import { certificateUsage } from '../cert-usage.js';
import { expiryStatus, type ExpiryStatus } from '../../tls/certinfo.js';
import {
  ConfigError, checkBindingConflicts, formatBinding, imapSettings, loadConfig, parseBindings, popSettings, saveConfig, validateSetting,
  type Binding, type ConfigFile,
} from '../../config/config.js';
import { SERVICE_NAMES, SETTINGS_SECTIONS, allowedText, type SectionName, type ServiceName, type SettingDef, type SettingValue } from '../../config/schema.js';
import { hashPassword } from '../../auth/passwords.js';
import { analyze, worstSeverity, type Finding, type Severity } from '../../observe/analyzer.js';
import { gatherAnalyzerInput } from '../../observe/analyzer-gather.js';
import { failedLogins, insecureLogins, securityLogDir, type FailedLoginRow, type LoginReportRow } from '../../observe/security-log.js';
import type { Protocol } from '../../auth/types.js';
import { CliError } from '../cli/errors.js';
import { checkAddress, MAX_PASSWORD, MIN_PASSWORD } from '../cli/user.js';
import { parseSince } from '../cli/logs.js';
import { ReloadError, type ServerControl, type ServiceRow } from './control.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly setting?: string, readonly errors?: Array<{ setting: string; message: string }>) {
    super(message);
    this.name = 'ApiError';
  }
}

type Sections = Record<string, Record<string, SettingValue>>;

/** The settings sections this build knows (those of the schema, so new ones appear by themselves). */
export function sectionNames(): string[] {
  return Object.keys(SETTINGS_SECTIONS);
}

export function sectionDefs(section: string): SettingDef[] {
  const defs = (SETTINGS_SECTIONS as Record<string, SettingDef[]>)[section];
  if (!defs) throw new ApiError(404, `section: unknown settings section "${section}" (allowed: ${sectionNames().join(', ')})`, 'section');
  return defs;
}


export interface SettingRow {
  name: string;
  value: SettingValue;
  default: SettingValue;
  changed: boolean;
  apply: 'live' | 'restart';
  allowed: string;
  exchange: string | null;
  description: string;
}

export function readSection(dataDir: string, section: string): SettingRow[] {
  const defs = sectionDefs(section);
  const stored = ((loadConfig(dataDir) as unknown as Sections)[section] ?? {});
  return defs.map((d) => ({
    name: d.name, value: stored[d.name] ?? d.default, default: d.default, changed: d.name in stored,
    apply: d.apply, allowed: allowedText(d), exchange: d.exchange, description: d.description,
  }));
}

/**
 * Validates every given value first; on any problem throws ApiError 400 naming each bad
 * setting and writes nothing. Otherwise saves the config and asks the server to apply it.
 */
export async function updateSection(control: ServerControl, section: string, input: Record<string, unknown>): Promise<SettingRow[]> {
  const defs = sectionDefs(section);
  const errors: Array<{ setting: string; message: string }> = [];
  const updates: Record<string, SettingValue> = {};
  for (const [name, raw] of Object.entries(input)) {
    const def = defs.find((d) => d.name === name);
    if (!def) {
      errors.push({ setting: name, message: `${name}: unknown setting (allowed: ${defs.map((d) => d.name).join(', ')})` });
      continue;
    }
    if (raw === null || (typeof raw === 'object' && !Array.isArray(raw))) {
      errors.push({ setting: name, message: `${name}: a ${typeof raw === 'object' ? 'JSON object or null' : typeof raw} is not allowed (allowed: ${allowedText(def)})` });
      continue;
    }
    try {
      updates[name] = validateSetting(def, Array.isArray(raw) ? raw.map(String) : (raw as string | number | boolean));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push({ setting: name, message: err.message });
    }
  }
  if (!Object.keys(input).length) errors.push({ setting: '', message: `missing setting (send a JSON object such as {"login-type": "SecureLogin"}; allowed names: ${defs.map((d) => d.name).join(', ')})` });
  const cfg = loadConfig(control.dataDir);
  const sections = cfg as unknown as Sections;
  if (!errors.length) {
    sections[section] ??= {};
    for (const [name, value] of Object.entries(updates)) {
      const def = defs.find((d) => d.name === name)!;
      if (JSON.stringify(value) === JSON.stringify(validateSetting(def, def.default))) delete sections[section][name];
      else sections[section][name] = value;
    }
    try {
      checkBindingConflicts(cfg, { section: section as SectionName, names: Object.keys(updates) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push({ setting: err.message.split(':')[0], message: err.message });
    }
  }
  if (errors.length) throw new ApiError(400, errors.map((e) => e.message).join('; '), errors[0].setting, errors);
  saveConfig(control.dataDir, cfg);
  try {
    await control.reload();
  } catch (err) {
    if (!(err instanceof ReloadError)) throw err;
    throw new ApiError(409, `saved, but the running server did not apply it: ${err.message}`);
  }
  return readSection(control.dataDir, section);
}

export function serviceName(name: string): ServiceName {
  if (!(SERVICE_NAMES as readonly string[]).includes(name)) throw new ApiError(404, `name: unknown service "${name}" (allowed: ${SERVICE_NAMES.join(', ')})`, 'name');
  return name as ServiceName;
}

export type ServiceAction = 'start' | 'stop' | 'restart';

export async function serviceAction(control: ServerControl, name: string, action: ServiceAction): Promise<ServiceRow> {
  const service = serviceName(name);
  if (action === 'start') await control.startService(service);
  else if (action === 'stop') await control.stopService(service);
  else await control.restartService(service);
  return control.services().find((s) => s.name === service)!;
}

export interface CertificateRow {
  name: string;
  subject: string;
  sans: string[];
  issuer: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  expiry: ExpiryStatus;
  keyType: string;
  keySize: number;
  fingerprint: string;
  selfSigned: boolean;
  testingOnly: boolean;
  usedBy: string[];
}

export function listCertificates(dataDir: string, now = new Date()): CertificateRow[] {
  const store = CertStore.forDataDir(dataDir);
  const used = certificateUsage(dataDir, store);
  return store.list().map((c) => ({
    name: c.name, subject: c.subject, sans: c.sans, issuer: c.issuer,
    notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(),
    daysLeft: Math.floor((c.notAfter.getTime() - now.getTime()) / 86_400_000), expiry: expiryStatus(c, now),
    keyType: c.keyType, keySize: c.keySize, fingerprint: c.fingerprint, selfSigned: c.selfSigned, testingOnly: c.testingOnly,
    usedBy: used.get(c.name) ?? [],
  }));
}

export interface UserRow {
  address: string;
  imapEnabled: boolean;
  popEnabled: boolean;
  quotaBytes: number | null;
  /** The backend pin (HOST[:PORT]) as `user set --backend` sets it; null: none. */
  backend: string | null;
  usedBytes: number;
  createdAt: string;
}

export async function listUsers(control: ServerControl): Promise<UserRow[]> {
  const out: UserRow[] = [];
  for (const a of await control.store.listAccounts()) {
    out.push({ address: a.address, imapEnabled: a.imapEnabled, popEnabled: a.popEnabled, quotaBytes: a.quotaBytes, backend: a.backend ?? null, usedBytes: await control.store.usedBytes(a.id), createdAt: a.createdAt.toISOString() });
  }
  return out;
}

export function address(raw: unknown): string {
  try {
    return checkAddress(typeof raw === 'string' ? raw : undefined, 'an email address');
  } catch (err) {
    if (err instanceof CliError) throw new ApiError(400, err.message.replace(/^ADDRESS/, 'address'), 'address');
    throw err;
  }
}

function password(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length < MIN_PASSWORD || raw.length > MAX_PASSWORD || /[\0\r\n]/.test(raw)) {
    throw new ApiError(400, `password: not allowed (allowed: ${MIN_PASSWORD} to ${MAX_PASSWORD} characters on one line, no NUL)`, 'password');
  }
  return raw;
}

export async function addUser(control: ServerControl, rawAddress: unknown, rawPassword: unknown): Promise<UserRow> {
  const a = address(rawAddress);
  const pw = password(rawPassword);
  if (await control.store.getAccount(a)) throw new ApiError(409, `address: ${a} already exists (allowed: a new address; to change its password use passwd)`, 'address');
  await control.store.createAccount(a, await hashPassword(pw));
  return (await listUsers(control)).find((u) => u.address === a)!;
}

export async function setPassword(control: ServerControl, rawAddress: unknown, rawPassword: unknown): Promise<void> {
  const a = address(rawAddress);
  const pw = password(rawPassword);
  const account = await control.store.getAccount(a);
  if (!account) throw new ApiError(404, `address: no such user ${a}`, 'address');
  await control.store.updateAccount(account.id, { passwordHash: await hashPassword(pw) });
}

export async function removeUser(control: ServerControl, rawAddress: unknown): Promise<void> {
  const a = address(rawAddress);
  const account = await control.store.getAccount(a);
  if (!account) throw new ApiError(404, `address: no such user ${a}`, 'address');
  await control.store.deleteAccount(account.id);
}

const PROTOCOLS: readonly Protocol[] = ['imap4', 'pop3', 'smtp'];

export function loginFilter(protocol: string | null, since: string | null): { protocol?: Protocol; since?: Date } {
  const out: { protocol?: Protocol; since?: Date } = {};
  if (protocol) {
    if (!(PROTOCOLS as readonly string[]).includes(protocol.toLowerCase())) throw new ApiError(400, `protocol: "${protocol}" is not allowed (allowed: ${PROTOCOLS.join(', ')})`, 'protocol');
    out.protocol = protocol.toLowerCase() as Protocol;
  }
  if (since) {
    try {
      out.since = parseSince(since);
    } catch (err) {
      if (err instanceof CliError) throw new ApiError(400, err.message.replace(/^--since/, 'since'), 'since');
      throw err;
    }
  }
  return out;
}

export async function insecureLoginReport(dataDir: string, filter: { protocol?: Protocol; since?: Date }): Promise<LoginReportRow[]> {
  return insecureLogins(securityLogDir(dataDir), filter);
}

export async function failedLoginReport(dataDir: string, filter: { protocol?: Protocol; since?: Date }): Promise<FailedLoginRow[]> {
  return failedLogins(securityLogDir(dataDir), filter);
}

export async function analyzerReport(dataDir: string, adminBindings: Binding[]): Promise<{ worst: Severity; findings: Finding[] }> {
  const cfg = loadConfig(dataDir);
  const input = await gatherAnalyzerInput(dataDir, cfg);
  if (!input.adminBindings && adminBindings.length) input.adminBindings = adminBindings;
  const findings = analyze(input);
  return { worst: worstSeverity(findings), findings };
}
