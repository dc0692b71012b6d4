/**
 * The settings schema: one declaration per setting, with the Exchange parameter name it mirrors,
 * its type, default, allowed range and whether a running server applies it live. The CLI
 * (`imap get|set`, `pop get|set`, ...), validation, the README table and the admin API are all
 * generated from these declarations, so they can never disagree.
 */
import { LOGIN_TYPES } from '../auth/types.js';
import { LMTP_SETTINGS, SMTP_SETTINGS } from './schema-smtp.js';
import { AUTH_SETTINGS, DIRECTORY_SETTINGS } from './schema-auth.js';

export type SettingType =
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'int'; min: number; max: number; unit?: string }
  | { kind: 'bool' }
  | { kind: 'string'; pattern?: RegExp; hint?: string; maxLength?: number }
  | { kind: 'bindings' } // comma-separated host:port list, IPv6 in brackets; may be empty
  /** Comma-separated list; each item must match `item` when given. */
  | { kind: 'string-list'; item?: RegExp; hint?: string };

export type SettingValue = string | number | boolean | string[];

export interface SettingDef {
  /** kebab-case name used by the CLI (`--login-type`) and the JSON API. */
  name: string;
  /** The Exchange Set-ImapSettings / Set-PopSettings parameter it mirrors, if any. */
  exchange: string | null;
  type: SettingType;
  default: SettingValue;
  /** 'live': applied by a running server on SIGHUP / admin API; 'restart': at next start. */
  apply: 'live' | 'restart';
  description: string;
}

const loginType: SettingDef = {
  name: 'login-type', exchange: 'LoginType', type: { kind: 'enum', values: LOGIN_TYPES },
  default: 'SecureLogin', apply: 'live',
  description: 'SecureLogin: no credentials before TLS. PlainTextAuthentication: password mechanisms only over TLS. PlainTextLogin: cleartext login allowed (insecure, logged).',
};

function bindings(exchange: string, def: string, description: string): SettingDef {
  return { name: '', exchange, type: { kind: 'bindings' }, default: def, apply: 'live', description };
}

const ABSOLUTE_PATH = { kind: 'string' as const, maxLength: 4096, pattern: /^$|^\/.*/, hint: 'an absolute path, or empty' };
/** Exchange's connection-settings form: host:port:SSL (implicit TLS), host:port:TLS (STARTTLS) or host:port: (cleartext). */
const CONNECTION_SETTINGS: SettingType = {
  kind: 'string-list',
  item: /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252})):\d{1,5}:(SSL|TLS)?$/i,
  hint: 'host:port:SSL|TLS| entries, comma-separated (e.g. mail.example.org:993:SSL,mail.example.org:143:TLS), or empty',
};
const HOST_OPT_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}))(:\d{1,5})?$/;
const CIDR_LIST: SettingType = { kind: 'string-list', item: /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, hint: 'networks in CIDR form, comma-separated (e.g. 10.0.0.0/8,2001:db8::/32), or empty' };

function common(proto: 'imap' | 'pop', p: { ssl: string; plain: string; maxCommand: number; backendPort: number }): SettingDef[] {
  return [
    loginType,
    { ...bindings('SSLBindings', p.ssl, 'Addresses and ports with implicit TLS.'), name: 'ssl-bindings' },
    { ...bindings('UnencryptedOrTLSBindings', p.plain, 'Addresses and ports that start in cleartext and offer STARTTLS/STLS.'), name: 'unencrypted-or-tls-bindings' },
    { name: 'x509-certificate-name', exchange: 'X509CertificateName', type: { kind: 'string', maxLength: 253, pattern: /^$|^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/, hint: 'a host name such as mail.example.org, or empty for the default certificate' }, default: '', apply: 'live', description: 'Host name whose certificate this service presents (matched against certificate SANs). Empty: the certificate made by init.' },
    { name: 'banner', exchange: 'Banner', type: { kind: 'string', maxLength: 200, pattern: /^[\x20-\x7e]*$/, hint: 'printable ASCII, at most 200 characters' }, default: proto === 'imap' ? 'Portcullis IMAP4 service ready' : 'Portcullis POP3 service ready', apply: 'live', description: 'Greeting text.' },
    { name: 'max-connections', exchange: 'MaxConnections', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 2000, apply: 'live', description: 'Most simultaneous connections to this service.' },
    { name: 'max-connection-from-single-ip', exchange: 'MaxConnectionFromSingleIP', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 20, apply: 'live', description: 'Most simultaneous connections from one client address.' },
    {
      name: 'max-connections-per-user', exchange: 'MaxConnectionsPerUser', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 16, apply: 'live',
      description: proto === 'imap'
        ? 'Most simultaneous authenticated sessions of one user; one more gets NO [LIMIT].'
        : 'Accepted for compatibility: the maildrop lock (RFC 1939) already allows one POP3 session per user at a time, on every node; a second gets -ERR [IN-USE].',
    },
    { name: 'max-command-size', exchange: 'MaxCommandSize', type: { kind: 'int', min: proto === 'imap' ? 1024 : 40, max: proto === 'imap' ? 131072 : 1024, unit: 'bytes' }, default: p.maxCommand, apply: 'live', description: 'Longest command line accepted (literals are limited separately).' },
    { name: 'authenticated-connection-timeout', exchange: 'AuthenticatedConnectionTimeout', type: { kind: 'int', min: 30, max: 86400, unit: 'seconds' }, default: 1800, apply: 'live', description: 'Idle time after which an authenticated session is closed.' },
    { name: 'pre-authenticated-connection-timeout', exchange: 'PreAuthenticatedConnectionTimeout', type: { kind: 'int', min: 10, max: 3600, unit: 'seconds' }, default: 60, apply: 'live', description: 'Idle time after which a connection that has not logged in is closed.' },
    { name: 'protocol-log-enabled', exchange: 'ProtocolLogEnabled', type: { kind: 'bool' }, default: false, apply: 'live', description: 'Write the per-command protocol log.' },
    { name: 'log-file-roll-over-settings', exchange: 'LogFileRollOverSettings', type: { kind: 'enum', values: ['Hourly', 'Daily', 'Weekly', 'Monthly'] }, default: 'Daily', apply: 'live', description: 'When the protocol log starts a new file.' },
    { name: 'log-per-file-size-quota', exchange: 'LogPerFileSizeQuota', type: { kind: 'int', min: 0, max: 1024 * 1024 * 1024, unit: 'bytes' }, default: 0, apply: 'live', description: 'Also start a new protocol log file when one reaches this size; 0: by time only.' },
    { name: 'protocol-log-max-age', exchange: null, type: { kind: 'int', min: 0, max: 3650, unit: 'days' }, default: 30, apply: 'live', description: 'Delete protocol log files older than this; 0: no age limit.' },
    { name: 'protocol-log-max-directory-size', exchange: null, type: { kind: 'int', min: 0, max: 1024 ** 4, unit: 'bytes' }, default: 1024 ** 3, apply: 'live', description: 'Delete the oldest protocol log files while this protocol\'s logs are larger; 0: no size limit.' },
    { name: 'enable-exact-rfc822-size', exchange: 'EnableExactRFC822Size', type: { kind: 'bool' }, default: false, apply: 'live', description: 'Accepted for compatibility (default false, as in Exchange): the sizes reported here are always exact, computed from the message as stored.' },
    { name: 'log-file-location', exchange: 'LogFileLocation', type: ABSOLUTE_PATH, default: '', apply: 'live', description: `Directory of the protocol log files. Empty: DATA_DIR/logs/${proto === 'imap' ? 'imap4' : 'pop3'}.` },
    { name: 'internal-connection-settings', exchange: 'InternalConnectionSettings', type: CONNECTION_SETTINGS, default: [], apply: 'live', description: 'How clients inside the organisation reach this service (host:port:SSL, host:port:TLS or host:port: for cleartext); each port must be one of this service\'s bindings of that kind. Used by the analyzer (certificate names) and `portcullis test`.' },
    { name: 'external-connection-settings', exchange: 'ExternalConnectionSettings', type: CONNECTION_SETTINGS, default: [], apply: 'live', description: 'How clients on the internet reach this service, in the same form as internal-connection-settings.' },
    { name: 'suppress-read-receipt', exchange: 'SuppressReadReceipt', type: { kind: 'bool' }, default: false, apply: 'live', description: 'Do not let this service send read receipts (MDN) on the user\'s behalf; the mail client sends its own.' },
    { name: 'proxy-target-port', exchange: 'ProxyTargetPort', type: { kind: 'int', min: 1, max: 65535 }, default: p.backendPort, apply: 'live', description: 'Port of a remote backend when a proxy-targets entry names no port.' },
    { name: 'proxy-targets', exchange: null, type: { kind: 'string-list', item: HOST_OPT_PORT, hint: 'HOST[:PORT],... (e.g. be1.example.org,10.0.0.7:1993), or empty' }, default: [], apply: 'live', description: 'Backend nodes this frontend proxies authenticated sessions to (TLS, cluster secret); users are spread over the healthy ones by a consistent hash. Empty: the backend in this process.' },
    { name: 'backend-bindings', exchange: null, type: { kind: 'bindings' }, default: '', apply: 'live', description: `Addresses and ports where this node's backend accepts sessions from remote frontends (TLS, cluster secret, trusted-frontends only), e.g. 0.0.0.0:${p.backendPort}. Empty: in-process frontend only.` },
  ];
}

export const IMAP_SETTINGS: SettingDef[] = [
  ...common('imap', { ssl: '0.0.0.0:993,[::]:993', plain: '0.0.0.0:143,[::]:143', maxCommand: 10240, backendPort: 1993 }),
  { name: 'max-literal-size', exchange: null, type: { kind: 'int', min: 1024, max: 1024 * 1024 * 1024, unit: 'bytes' }, default: 50 * 1024 * 1024, apply: 'live', description: 'Largest literal (and so largest APPENDed message) accepted.' },
  { name: 'show-hidden-folders-enabled', exchange: 'ShowHiddenFoldersEnabled', type: { kind: 'bool' }, default: false, apply: 'live', description: 'List mailboxes whose names start with a dot.' },
];

export const POP_SETTINGS: SettingDef[] = [
  ...common('pop', { ssl: '0.0.0.0:995,[::]:995', plain: '0.0.0.0:110,[::]:110', maxCommand: 512, backendPort: 1995 }),
  { name: 'message-retrieval-sort-order', exchange: 'MessageRetrievalSortOrder', type: { kind: 'enum', values: ['Ascending', 'Descending'] }, default: 'Ascending', apply: 'live', description: 'Order in which the maildrop lists messages (by arrival).' },
  { name: 'login-delay', exchange: null, type: { kind: 'int', min: 0, max: 86400, unit: 'seconds' }, default: 0, apply: 'live', description: 'Advertised LOGIN-DELAY (RFC 2449); 0 omits it.' },
  { name: 'expire-days', exchange: null, type: { kind: 'int', min: -1, max: 36500, unit: 'days' }, default: -1, apply: 'live', description: 'Advertised EXPIRE (RFC 2449); -1 advertises NEVER.' },
];

/** Settings of the server process as a whole (`portcullis server get|set`). */
export const SERVER_SETTINGS: SettingDef[] = [
  { name: 'tls-min-version', exchange: null, type: { kind: 'enum', values: ['TLSv1.2', 'TLSv1.3'] }, default: 'TLSv1.2', apply: 'live', description: 'Oldest TLS version any service accepts (1.0 and 1.1 are never offered).' },
  { name: 'cluster-secret-file', exchange: null, type: ABSOLUTE_PATH, default: '', apply: 'live', description: 'File with the secret (at least 32 bytes) every frontend and backend node of an installation shares; proves each end of a proxied session to the other. Empty: no remote hand-off.' },
  { name: 'trusted-frontends', exchange: null, type: CIDR_LIST, default: [], apply: 'live', description: 'Networks whose frontends may hand sessions to this node\'s backend-bindings; others are refused before any data is read.' },
  { name: 'trusted-proxies', exchange: null, type: CIDR_LIST, default: [], apply: 'live', description: 'Load balancers that put a PROXY protocol (v1 or v2) header before each connection; from these addresses the header is required and its client address is used for logs, limits and throttling. A PROXY header from any other address is refused.' },
  { name: 'run-as-user', exchange: null, type: { kind: 'string', maxLength: 32, pattern: /^$|^[a-z_][a-z0-9_-]{0,31}$/, hint: 'a system user name, or empty' }, default: '', apply: 'restart', description: 'When serve starts as root: bind the ports, then drop to this user (and its group). The data dir must belong to it. Empty: keep running as the starting user.' },
];

/** Where the admin API and web console listen (`portcullis admin get|set`... see admin/http). */
export const ADMIN_SETTINGS: SettingDef[] = [
  {
    name: 'bindings', exchange: null, type: { kind: 'bindings' }, default: '127.0.0.1:8443', apply: 'live',
    description: 'Addresses and ports of the admin API and web console. Plain HTTP on loopback addresses; HTTPS with x509-certificate-name on any other address.',
  },
  {
    name: 'x509-certificate-name', exchange: null,
    type: { kind: 'string', maxLength: 253, pattern: /^$|^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/, hint: 'a host name such as mail.example.org, or empty for the default certificate' },
    default: '', apply: 'live',
    description: 'Host name whose certificate the admin API presents on non-loopback bindings.',
  },
];

export const SERVICE_NAMES = ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'submission', 'lmtp', 'admin'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
export type StartupType = 'Automatic' | 'Disabled';

/** Settings sections the `get|set` CLI commands expose, by CLI command name. */
export const SETTINGS_SECTIONS = { imap: IMAP_SETTINGS, pop: POP_SETTINGS, smtp: SMTP_SETTINGS, lmtp: LMTP_SETTINGS, server: SERVER_SETTINGS, admin: ADMIN_SETTINGS, auth: AUTH_SETTINGS, directory: DIRECTORY_SETTINGS } as const;
export type SectionName = keyof typeof SETTINGS_SECTIONS;

/** What a setting accepts, in words: shown by `get`, the admin API and refusals. */
export function allowedText(def: SettingDef): string {
  const t = def.type;
  switch (t.kind) {
    case 'enum': return t.values.join(' | ');
    case 'int': return `${t.min}..${t.max}${t.unit ? ' ' + t.unit : ''}`;
    case 'bool': return 'true | false';
    case 'bindings': return 'host:port,[v6]:port,... (may be empty)';
    case 'string': return t.hint ?? 'text';
    case 'string-list': return t.hint ?? 'comma-separated list';
  }
}

/** kebab-case -> camelCase, for typed access. */
export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
