/**
 * Settings of the submission service (section "smtp") and the LMTP service (section "lmtp"),
 * declared beside the IMAP and POP3 ones so config/ validates every section without importing
 * a protocol. Typed getters live in smtp/settings.ts.
 */
import { LOGIN_TYPES } from '../auth/types.js';
import type { SettingDef } from './schema.js';

const HOST_PORT = /^$|^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const HOSTNAME = /^$|^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;
/** One or more of `host:port`, `[v6]:port` or `unix:/absolute/path`, comma-separated. */
const LMTP_BINDINGS = /^((\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}|unix:\/[^,\s]+)(,\s*((\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}|unix:\/[^,\s]+))*$|^$/;

export const SMTP_SETTINGS: SettingDef[] = [
  { name: 'login-type', exchange: 'AuthMechanism', type: { kind: 'enum', values: LOGIN_TYPES }, default: 'SecureLogin', apply: 'live', description: 'SecureLogin: no AUTH before TLS (530 5.7.0). PlainTextAuthentication: password mechanisms only over TLS. PlainTextLogin: AUTH allowed in cleartext (insecure, logged).' },
  { name: 'ssl-bindings', exchange: 'Bindings', type: { kind: 'bindings' }, default: '0.0.0.0:465,[::]:465', apply: 'live', description: 'Addresses and ports with implicit TLS (submissions, RFC 8314).' },
  { name: 'unencrypted-or-tls-bindings', exchange: 'Bindings', type: { kind: 'bindings' }, default: '0.0.0.0:587,[::]:587', apply: 'live', description: 'Addresses and ports that start in cleartext and offer STARTTLS (submission, RFC 6409).' },
  { name: 'tls-certificate-name', exchange: 'TlsCertificateName', type: { kind: 'string', maxLength: 253, pattern: /^$|^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/, hint: 'a host name such as mail.example.org, or empty for the default certificate' }, default: '', apply: 'live', description: 'Host name whose certificate the submission service presents.' },
  { name: 'fqdn', exchange: 'Fqdn', type: { kind: 'string', maxLength: 253, pattern: HOSTNAME, hint: 'a host name such as mail.example.org, or empty for the configured hostname' }, default: '', apply: 'live', description: 'Name in the greeting, EHLO reply, Received headers and bounces; should match the certificate. Empty: the hostname given to init.' },
  { name: 'banner', exchange: 'Banner', type: { kind: 'string', maxLength: 200, pattern: /^[\x20-\x7e]*$/, hint: 'printable ASCII, at most 200 characters' }, default: 'Portcullis ESMTP submission service ready', apply: 'live', description: 'Greeting text after the fqdn.' },
  { name: 'require-tls', exchange: 'RequireTLS', type: { kind: 'bool' }, default: true, apply: 'live', description: 'Refuse MAIL FROM on a connection that is not encrypted, whatever the login type.' },
  { name: 'max-message-size', exchange: 'MaxMessageSize', type: { kind: 'int', min: 1024, max: 1024 * 1024 * 1024, unit: 'bytes' }, default: 35 * 1024 * 1024, apply: 'live', description: 'Largest message accepted (advertised with SIZE; refused at MAIL SIZE= and during DATA with 552 5.3.4).' },
  { name: 'max-recipients', exchange: 'MaxRecipientsPerMessage', type: { kind: 'int', min: 1, max: 100_000 }, default: 200, apply: 'live', description: 'Most RCPT TO per message; more get 452 4.5.3.' },
  { name: 'max-connections', exchange: 'MaxInboundConnection', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 2000, apply: 'live', description: 'Most simultaneous connections to the submission service.' },
  { name: 'max-connection-from-single-ip', exchange: 'MaxInboundConnectionPerSource', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 20, apply: 'live', description: 'Most simultaneous connections from one client address.' },
  { name: 'connection-inactivity-timeout', exchange: 'ConnectionInactivityTimeout', type: { kind: 'int', min: 10, max: 3600, unit: 'seconds' }, default: 300, apply: 'live', description: 'Idle time after which a connection is closed.' },
  { name: 'smarthost', exchange: 'SmartHosts', type: { kind: 'string', maxLength: 300, pattern: HOST_PORT, hint: 'host:port such as relay.example.org:587, or empty to keep remote mail queued' }, default: '', apply: 'live', description: 'Where mail for non-local recipients is relayed. Empty: messages stay queued.' },
  { name: 'smarthost-tls', exchange: null, type: { kind: 'enum', values: ['none', 'starttls', 'implicit'] }, default: 'starttls', apply: 'live', description: 'TLS to the smarthost: starttls (required, port 587/25), implicit (port 465) or none (loopback only!).' },
  { name: 'smarthost-tls-verify', exchange: null, type: { kind: 'bool' }, default: true, apply: 'live', description: 'Verify the smarthost certificate against the system trust store.' },
  { name: 'smarthost-auth-user', exchange: 'SmartHostAuthMechanism', type: { kind: 'string', maxLength: 320, pattern: /^[^\s\x00-\x1f]*$/, hint: 'a user name without spaces, or empty for no AUTH' }, default: '', apply: 'live', description: 'User name for AUTH at the smarthost; empty: no AUTH.' },
  { name: 'smarthost-auth-password-file', exchange: null, type: { kind: 'string', maxLength: 4096, pattern: /^$|^\/.*/, hint: 'an absolute path, or empty' }, default: '', apply: 'live', description: 'File holding the smarthost password (first line); read at each connection, never logged.' },
  { name: 'retry-initial-interval', exchange: 'TransientFailureRetryInterval', type: { kind: 'int', min: 1, max: 86400, unit: 'seconds' }, default: 60, apply: 'live', description: 'Wait before the first retry; doubled after each failed attempt.' },
  { name: 'retry-max-interval', exchange: 'OutboundConnectionFailureRetryInterval', type: { kind: 'int', min: 1, max: 86400, unit: 'seconds' }, default: 3600, apply: 'live', description: 'Longest wait between two attempts.' },
  { name: 'max-delivery-attempts', exchange: null, type: { kind: 'int', min: 1, max: 1000 }, default: 30, apply: 'live', description: 'Attempts before a message is bounced (DSN) to its sender (about a day with the default intervals).' },
  // The protocol-log settings of imap/pop (schema.ts common()), with the same names, types and
  // defaults (smtp/protocol-log.test.ts keeps them equal). Declared here rather than imported:
  // schema.ts imports this file's values at load time, so importing back would be a cycle.
  { name: 'protocol-log-enabled', exchange: 'ProtocolLoggingLevel', type: { kind: 'bool' }, default: false, apply: 'live', description: 'Write the per-command protocol log of submission sessions (AUTH payloads masked, message bodies never logged).' },
  { name: 'log-file-roll-over-settings', exchange: null, type: { kind: 'enum', values: ['Hourly', 'Daily', 'Weekly', 'Monthly'] }, default: 'Daily', apply: 'live', description: 'When the protocol log starts a new file.' },
  { name: 'log-per-file-size-quota', exchange: 'ReceiveProtocolLogMaxFileSize', type: { kind: 'int', min: 0, max: 1024 * 1024 * 1024, unit: 'bytes' }, default: 0, apply: 'live', description: 'Also start a new protocol log file when one reaches this size; 0: by time only.' },
  { name: 'protocol-log-max-age', exchange: 'ReceiveProtocolLogMaxAge', type: { kind: 'int', min: 0, max: 3650, unit: 'days' }, default: 30, apply: 'live', description: 'Delete protocol log files older than this; 0: no age limit.' },
  { name: 'protocol-log-max-directory-size', exchange: 'ReceiveProtocolLogMaxDirectorySize', type: { kind: 'int', min: 0, max: 1024 ** 4, unit: 'bytes' }, default: 1024 ** 3, apply: 'live', description: 'Delete the oldest protocol log files while the submission logs are larger; 0: no size limit.' },
  { name: 'log-file-location', exchange: 'ReceiveProtocolLogPath', type: { kind: 'string', maxLength: 4096, pattern: /^$|^\/.*/, hint: 'an absolute path, or empty' }, default: '', apply: 'live', description: 'Directory of the protocol log files. Empty: DATA_DIR/logs/smtp.' },
];

export const LMTP_SETTINGS: SettingDef[] = [
  { name: 'bindings', exchange: null, type: { kind: 'string', maxLength: 2000, pattern: LMTP_BINDINGS, hint: 'host:port or unix:/absolute/path, comma-separated (e.g. 127.0.0.1:24 or unix:/run/portcullis/lmtp)' }, default: '127.0.0.1:24', apply: 'live', description: 'Where the LMTP service listens: loopback TCP or a unix socket. Never expose it: LMTP has no authentication.' },
  { name: 'max-message-size', exchange: 'MaxReceiveSize', type: { kind: 'int', min: 1024, max: 1024 * 1024 * 1024, unit: 'bytes' }, default: 50 * 1024 * 1024, apply: 'live', description: 'Largest message accepted.' },
  { name: 'max-recipients', exchange: null, type: { kind: 'int', min: 1, max: 100_000 }, default: 1000, apply: 'live', description: 'Most RCPT TO per transaction.' },
  { name: 'max-connections', exchange: null, type: { kind: 'int', min: 1, max: 1_000_000 }, default: 100, apply: 'live', description: 'Most simultaneous LMTP connections.' },
  { name: 'connection-inactivity-timeout', exchange: null, type: { kind: 'int', min: 10, max: 3600, unit: 'seconds' }, default: 300, apply: 'live', description: 'Idle time after which a connection is closed.' },
  { name: 'plus-addressing-enabled', exchange: null, type: { kind: 'bool' }, default: true, apply: 'live', description: 'user+folder@domain delivers to user@domain, into "folder" when such a mailbox exists (else INBOX).' },
];
