/**
 * The analyzer behind `portcullis analyze`: pure checks over facts gathered from a data dir
 * (config, certificates, permissions, disk). Each finding has an id, a severity, what was found
 * and the exact command that fixes it. Nothing here reads files or the clock.
 *
 * Decisions:
 * - PlainTextLogin is a **fail** when the protocol has any cleartext (unencrypted-or-tls) binding,
 *   loopback included (a local proxy or tunnel can still carry the password in the clear). It is
 *   a **warning** when there is no cleartext binding (nothing is exposed today, but one binding
 *   change away).
 * - Every warning or fail names the command that fixes it, except where no command can: low disk
 *   space (disk.free) and weak cipher suites (tls.ciphers: the suites are built in, not settable).
 * - Settings are judged whether or not the service is enabled: a disabled service is one command
 *   away from running with them.
 */
import type { LoginType } from '../auth/types.js';
import type { Binding } from '../config/config.js';
import type { ServiceName, StartupType } from '../config/schema.js';
import { certificateChecks } from './analyzer-certs.js';
import { connectionSettingsChecks } from './analyzer-connections.js';
import { networkList } from '../net/networks.js';

export type Severity = 'pass' | 'info' | 'warning' | 'fail';
export const SEVERITIES: readonly Severity[] = ['pass', 'info', 'warning', 'fail'];

export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  detail: string;
  /** The exact command that fixes it; null when there is nothing to do. */
  fix: string | null;
}

export interface CertificateFacts {
  name: string;
  subjectAltNames: string[];
  notAfter: Date;
  selfSigned: boolean;
  /** "RSA", "ECDSA P-256", "Ed25519", ... */
  keyType: string;
  keySize: number;
  /** "SHA-256", "SHA-1", ... ("unknown" when it cannot be read). */
  signatureHash: string;
  /** Protocols presenting this certificate (imap4, pop3, smtp). */
  inUseBy: string[];
}

/** One client-access protocol as configured. */
export interface ProtocolFacts {
  protocol: 'imap4' | 'pop3' | 'smtp';
  /** The CLI section that sets its parameters: imap, pop, smtp. */
  section: 'imap' | 'pop' | 'smtp';
  frontend: ServiceName;
  backend: ServiceName | null;
  loginType: LoginType;
  sslBindings: Binding[];
  cleartextBindings: Binding[];
  /** The certificate-name setting (x509-certificate-name / tls-certificate-name) and its value. */
  certificateSetting: string;
  certificateName: string;
  /** Name of the certificate the service would present, null when none matches. */
  selectedCertificate: string | null;
  protocolLog: { enabled: boolean; maxAgeDays: number; maxTotalBytes: number } | null;
  /** SMTP: the name in the greeting and EHLO reply, which the certificate must carry. */
  fqdn?: string;
  /** IMAP/POP3: internal- and external-connection-settings entries (what clients are told to use). */
  connectionSettings?: ConnectionSettingFacts[];
}

/** One host:port:SSL|TLS| entry of internal- or external-connection-settings. */
export interface ConnectionSettingFacts {
  setting: 'internal-connection-settings' | 'external-connection-settings';
  entry: string;
  host: string;
  port: number;
  /** '' : cleartext (no encryption). */
  encryption: 'SSL' | 'TLS' | '';
}

export interface AnalyzerInput {
  hostname: string;
  services: Record<ServiceName, StartupType>;
  protocols: ProtocolFacts[];
  certificates: CertificateFacts[];
  /** Certificate files that could not be read. */
  unreadableCertificates?: string[];
  tls: { minVersion: string; ciphers: string[] };
  /** The data dir and the sensitive paths in it, with their permission bits. */
  paths: Array<{ path: string; mode: number }>;
  dataDir: string;
  freeDiskBytes: number | null;
  /** The auth throttling settings; null/absent: not known. */
  throttling?: { allowList: string[]; maxDelayMs: number; ipBlockAfter: number } | null;
  /** LMTP TCP listen hosts (unix sockets left out); null/absent: not known. */
  lmtpHosts?: string[] | null;
  /** Admin API listen bindings; null/absent: no admin listener configured. */
  adminBindings?: Binding[] | null;
  /** The trusted-proxies setting (PROXY protocol senders); null/absent: not known. */
  trustedProxies?: string[] | null;
  now: Date;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

function fmt(bindings: Binding[]): string {
  return bindings.map((b) => (b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`)).join(',');
}

function loginTypeCheck(p: ProtocolFacts): Finding {
  const id = `login-type.${p.protocol}`;
  const fix = `portcullis ${p.section} set --login-type SecureLogin`;
  if (p.loginType === 'SecureLogin') {
    return { id, severity: 'pass', title: `${p.protocol}: SecureLogin`, detail: 'No credentials are accepted before TLS.', fix: null };
  }
  if (p.loginType === 'PlainTextAuthentication') {
    return { id, severity: 'info', title: `${p.protocol}: PlainTextAuthentication`, detail: 'Password mechanisms only over TLS; mechanisms that never expose the password are allowed in cleartext. SecureLogin is stricter.', fix };
  }
  if (p.cleartextBindings.length) {
    const where = p.cleartextBindings.every((b) => isLoopback(b.host)) ? ' (loopback is not exempt)' : ': passwords can cross the network in the clear';
    return { id, severity: 'fail', title: `${p.protocol}: cleartext login allowed`, detail: `login-type is PlainTextLogin and ${fmt(p.cleartextBindings)} accept connections without TLS${where}. Check 'portcullis logs insecure-logins --protocol ${p.protocol}' for clients that would break.`, fix };
  }
  return { id, severity: 'warning', title: `${p.protocol}: cleartext login allowed`, detail: 'login-type is PlainTextLogin; no cleartext binding exists now, but adding one would expose passwords.', fix };
}

function listenerCheck(p: ProtocolFacts, services: AnalyzerInput['services']): Finding {
  const id = `listeners.${p.protocol}`;
  const publicClear = p.cleartextBindings.filter((b) => !isLoopback(b.host));
  if (services[p.frontend] === 'Automatic' && p.sslBindings.length + p.cleartextBindings.length === 0) {
    return { id, severity: 'warning', title: `${p.protocol}: enabled but listens nowhere`, detail: `${p.frontend} is enabled with no ssl-bindings and no unencrypted-or-tls-bindings.`, fix: `portcullis ${p.section} set --ssl-bindings ${p.protocol === 'imap4' ? '0.0.0.0:993' : p.protocol === 'pop3' ? '0.0.0.0:995' : '0.0.0.0:465'}` };
  }
  if (publicClear.length && p.loginType === 'PlainTextLogin') {
    const loop = p.cleartextBindings.filter((b) => isLoopback(b.host));
    return { id, severity: 'fail', title: `${p.protocol}: network listeners without TLS accept passwords`, detail: `${fmt(publicClear)} start without TLS and the login type lets clients log in before STARTTLS.`, fix: `portcullis ${p.section} set --unencrypted-or-tls-bindings "${fmt(loop)}"` };
  }
  if (publicClear.length) {
    return { id, severity: 'info', title: `${p.protocol}: cleartext ports offer STARTTLS`, detail: `${fmt(publicClear)} start without TLS; ${p.loginType} refuses passwords until STARTTLS. Implicit TLS (ssl-bindings) is preferred (RFC 8314).`, fix: null };
  }
  return { id, severity: 'pass', title: `${p.protocol}: no network listener without TLS`, detail: p.sslBindings.length ? `TLS on ${fmt(p.sslBindings)}.` : 'No listeners.', fix: null };
}

function serviceChecks(input: AnalyzerInput): Finding[] {
  const out: Finding[] = [];
  const on = (s: ServiceName): boolean => input.services[s] === 'Automatic';
  for (const p of input.protocols) {
    const id = `services.${p.protocol}`;
    if (!p.backend) {
      out.push({ id, severity: on(p.frontend) ? 'pass' : 'info', title: `${p.frontend}: ${on(p.frontend) ? 'enabled' : 'disabled'}`, detail: '', fix: null });
    } else if (on(p.frontend) && !on(p.backend)) {
      out.push({ id, severity: 'warning', title: `${p.frontend} is degraded: ${p.backend} is disabled`, detail: `Clients can connect but every correct login is refused as temporarily unavailable.`, fix: `portcullis service enable ${p.backend}` });
    } else if (!on(p.frontend) && on(p.backend)) {
      out.push({ id, severity: 'info', title: `${p.backend} runs without ${p.frontend}`, detail: 'A backend-only node: fine when frontends elsewhere proxy to it.', fix: null });
    } else {
      out.push({ id, severity: on(p.frontend) ? 'pass' : 'info', title: `${p.frontend} and ${p.backend}: ${on(p.frontend) ? 'enabled' : 'disabled'}`, detail: '', fix: null });
    }
  }
  const client = input.protocols.filter((p) => on(p.frontend));
  if (!client.length) {
    out.push({ id: 'services.none', severity: 'info', title: 'No client-access service is enabled', detail: 'Every service is off (the state after init).', fix: 'portcullis service enable imap4 && portcullis service enable imap4-backend' });
  }
  return out;
}

function tlsCheck(input: AnalyzerInput): Finding[] {
  const out: Finding[] = [];
  const weakVersion = ['SSLv3', 'TLSv1', 'TLSv1.1'].includes(input.tls.minVersion);
  out.push(weakVersion
    ? { id: 'tls.versions', severity: 'fail', title: `TLS versions below 1.2 allowed (${input.tls.minVersion})`, detail: 'TLS 1.0 and 1.1 are deprecated (RFC 8996).', fix: 'portcullis server set --tls-min-version TLSv1.2' }
    : { id: 'tls.versions', severity: 'pass', title: `TLS ${input.tls.minVersion.replace('TLSv', '')} and later only`, detail: '', fix: null });
  const weak = input.tls.ciphers.filter((c) => /NULL|EXPORT|RC4|DES|MD5|anon|PSK/i.test(c) || !(/^(TLS_|ECDHE-|DHE-)/.test(c) && /GCM|CHACHA20|CCM/.test(c)));
  out.push(weak.length
    ? { id: 'tls.ciphers', severity: 'fail', title: 'Weak cipher suites enabled', detail: `Not forward-secret AEAD: ${weak.join(', ')}.`, fix: null }
    : { id: 'tls.ciphers', severity: 'pass', title: 'Only forward-secret AEAD cipher suites', detail: `${input.tls.ciphers.length} suites.`, fix: null });
  return out;
}

function protocolLogCheck(p: ProtocolFacts): Finding[] {
  return p.protocolLog ? [protocolLogFinding(p, p.protocolLog)] : [];
}

function protocolLogFinding(p: ProtocolFacts, log: NonNullable<ProtocolFacts['protocolLog']>): Finding {
  const id = `protocol-log.${p.protocol}`;
  if (!log.enabled) return { id, severity: 'pass', title: `${p.protocol}: protocol logging off`, detail: 'Logins are still recorded in the security log.', fix: null };
  if (log.maxTotalBytes <= 0) {
    return { id, severity: 'warning', title: `${p.protocol}: protocol logging without a size limit`, detail: `Logs grow until the disk is full${log.maxAgeDays > 0 ? ` (only files older than ${log.maxAgeDays} days are deleted)` : ''}.`, fix: `portcullis ${p.section} set --protocol-log-max-directory-size ${GiB}` };
  }
  if (log.maxAgeDays <= 0) {
    return { id, severity: 'info', title: `${p.protocol}: protocol logs kept without an age limit`, detail: `At most ${log.maxTotalBytes} bytes.`, fix: `portcullis ${p.section} set --protocol-log-max-age 30` };
  }
  return { id, severity: 'pass', title: `${p.protocol}: protocol logging on, with limits`, detail: `${log.maxAgeDays} days, ${log.maxTotalBytes} bytes at most.`, fix: null };
}

function exposureChecks(input: AnalyzerInput): Finding[] {
  const out: Finding[] = [];
  if (input.throttling) out.push(throttlingCheck(input.throttling));
  if (input.lmtpHosts && input.services.lmtp === 'Automatic') {
    const open = input.lmtpHosts.filter((h) => !isLoopback(h));
    out.push(open.length
      ? { id: 'listeners.lmtp', severity: 'fail', title: 'LMTP listens on a network address', detail: `LMTP has no authentication: anyone reaching ${open.join(', ')} can deliver mail.`, fix: 'portcullis lmtp set --bindings 127.0.0.1:24' }
      : { id: 'listeners.lmtp', severity: 'pass', title: 'LMTP on loopback or a unix socket only', detail: '', fix: null });
  }
  if (input.trustedProxies && input.trustedProxies.length) {
    const whole = networkList(input.trustedProxies).wholeInternet;
    const keep = input.trustedProxies.filter((e) => !whole.includes(e.trim()));
    out.push(whole.length
      ? { id: 'net.trusted-proxies', severity: 'fail', title: 'Any address may claim to be a load balancer', detail: `trusted-proxies holds ${whole.join(', ')}: every client can send a PROXY header and pose as any address, defeating per-address limits, throttling and the logs.`, fix: `portcullis server set --trusted-proxies ${shellQuote(keep.join(','))}` }
      : { id: 'net.trusted-proxies', severity: 'pass', title: 'PROXY protocol trusted from listed load balancers only', detail: input.trustedProxies.join(', '), fix: null });
  }
  if (input.adminBindings && input.services.admin === 'Automatic') {
    const open = input.adminBindings.filter((b) => !isLoopback(b.host));
    out.push(open.length
      ? { id: 'listeners.admin', severity: 'warning', title: 'Admin API reachable off loopback', detail: `${fmt(open)}: anyone who reaches it can try the admin token; put it behind loopback (and an SSH tunnel or reverse proxy).`, fix: `portcullis admin set --bindings 127.0.0.1:${open[0].port}` }
      : { id: 'listeners.admin', severity: 'pass', title: 'Admin API on loopback only', detail: '', fix: null });
  }
  return out;
}

function throttlingCheck(t: NonNullable<AnalyzerInput['throttling']>): Finding {
  const id = 'auth.throttling';
  const whole = networkList(t.allowList).wholeInternet;
  if (whole.length) {
    const keep = t.allowList.filter((e) => !whole.includes(e.trim()));
    return { id, severity: 'fail', title: 'Brute-force protection is off: the allow-list covers every address', detail: `allow-list holds ${whole.join(', ')}: failed logins from anywhere are never delayed or blocked, so passwords can be guessed at full speed.`, fix: `portcullis auth set --allow-list ${shellQuote(keep.join(','))}` };
  }
  if (t.maxDelayMs === 0 && t.ipBlockAfter >= 1000) {
    return { id, severity: 'warning', title: 'Brute-force protection is nearly off', detail: `max-delay-ms is 0 and a network is blocked only after ${t.ipBlockAfter} failures.`, fix: 'portcullis auth set --max-delay-ms 8000 --ip-block-after 10' };
  }
  return { id, severity: 'pass', title: 'Brute-force protection on', detail: `Failed logins are delayed (up to ${t.maxDelayMs} ms) and a network is blocked after ${t.ipBlockAfter}${t.allowList.length ? `; never for ${t.allowList.join(', ')}` : ''}.`, fix: null };
}

function hostChecks(input: AnalyzerInput): Finding[] {
  const out: Finding[] = [];
  const open = input.paths.filter((p) => (p.mode & 0o077) !== 0);
  out.push(open.length
    ? { id: 'data-dir.permissions', severity: 'fail', title: 'Data directory readable by other users', detail: open.map((p) => `${p.path} is ${(p.mode & 0o777).toString(8).padStart(3, '0')}`).join('; ') + '. It holds private keys, password hashes and mail.', fix: `chmod -R go-rwx ${shellQuote(input.dataDir)}` }
    : { id: 'data-dir.permissions', severity: 'pass', title: 'Data directory private to its owner', detail: '', fix: null });
  const free = input.freeDiskBytes;
  if (free === null) out.push({ id: 'disk.free', severity: 'info', title: 'Free disk space unknown', detail: '', fix: null });
  else if (free < 100 * MiB) out.push({ id: 'disk.free', severity: 'fail', title: 'Almost no free disk space', detail: `${Math.floor(free / MiB)} MiB free: deliveries and APPENDs will fail.`, fix: null });
  else if (free < GiB) out.push({ id: 'disk.free', severity: 'warning', title: 'Low free disk space', detail: `${Math.floor(free / MiB)} MiB free (less than 1 GiB).`, fix: null });
  else out.push({ id: 'disk.free', severity: 'pass', title: 'Enough free disk space', detail: `${(free / GiB).toFixed(1)} GiB free.`, fix: null });
  return out;
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs every check. The order is stable: login, listeners, services, certificates, TLS, logs, host. */
export function analyze(input: AnalyzerInput): Finding[] {
  return [
    ...input.protocols.map(loginTypeCheck),
    ...input.protocols.map((p) => listenerCheck(p, input.services)),
    ...input.protocols.flatMap(connectionSettingsChecks),
    ...serviceChecks(input),
    ...certificateChecks(input),
    ...tlsCheck(input),
    ...input.protocols.flatMap(protocolLogCheck),
    ...exposureChecks(input),
    ...hostChecks(input),
  ];
}

/** The worst severity among findings ('pass' when there are none). */
export function worstSeverity(findings: Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(w) ? f.severity : w), 'pass');
}
