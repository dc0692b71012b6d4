/**
 * Authentication settings: `portcullis auth get|set` (master users, throttling, bearer-token
 * issuers) and `portcullis directory get|set` (the LDAP / Active Directory backend). Declared
 * beside the others so config/ validates every section without importing auth/.
 */
import type { SettingDef } from './schema.js';

const FILE = { kind: 'string' as const, maxLength: 4096, pattern: /^$|^\/.*/, hint: 'an absolute path, or empty' };

export const AUTH_SETTINGS: SettingDef[] = [
  { name: 'master-users', exchange: null, type: { kind: 'string-list', item: /^[^\s@,]{1,64}@[^\s@,]{1,255}$/, hint: 'mail addresses, comma-separated, or empty' }, default: [], apply: 'live', description: 'Addresses that may log in with an authorization identity of another user (SASL authzid); everyone else gets AUTHORIZATIONFAILED.' },
  { name: 'allow-list', exchange: null, type: { kind: 'string-list', item: /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, hint: 'networks in CIDR form, comma-separated (e.g. 10.0.0.0/8,2001:db8::/32), or empty' }, default: [], apply: 'restart', description: 'Networks (CIDR) never delayed or blocked by failure throttling, e.g. 10.0.0.0/8,2001:db8::/32.' },
  { name: 'free-failures', exchange: null, type: { kind: 'int', min: 0, max: 100 }, default: 1, apply: 'restart', description: 'Failures from one network (or for one account) answered without extra delay.' },
  { name: 'max-delay-ms', exchange: null, type: { kind: 'int', min: 0, max: 60_000, unit: 'ms' }, default: 8000, apply: 'restart', description: 'Longest delay added to a failure reply (it doubles per failure).' },
  { name: 'ip-block-after', exchange: null, type: { kind: 'int', min: 1, max: 10_000 }, default: 10, apply: 'restart', description: 'Failures from one network (IPv6 by /64) before it is blocked for block-minutes.' },
  { name: 'block-minutes', exchange: null, type: { kind: 'int', min: 1, max: 10_080, unit: 'minutes' }, default: 15, apply: 'restart', description: 'How long a blocked network stays blocked.' },
  { name: 'window-minutes', exchange: null, type: { kind: 'int', min: 1, max: 1440, unit: 'minutes' }, default: 15, apply: 'restart', description: 'A failure counter (per network or account) with no failure for this long starts again from zero; also the span of the attack detections.' },
  { name: 'base-delay-ms', exchange: null, type: { kind: 'int', min: 0, max: 60_000, unit: 'ms' }, default: 500, apply: 'restart', description: 'First extra delay on a failure reply after free-failures; it doubles per further failure up to max-delay-ms.' },
  { name: 'ip-distinct-accounts-block-after', exchange: null, type: { kind: 'int', min: 1, max: 1000 }, default: 5, apply: 'restart', description: 'Different accounts failing from one network within the window that block the network at once (password spraying); reported as auth-attack-detected.' },
  { name: 'account-distinct-networks-alert', exchange: null, type: { kind: 'int', min: 1, max: 1000 }, default: 10, apply: 'restart', description: 'Different networks failing for one account within the window that are reported as auth-attack-detected; unknown networks then get max-delay-ms for that account (never a block).' },
  { name: 'argon2-memory-kib', exchange: null, type: { kind: 'int', min: 19456, max: 4_194_304, unit: 'KiB' }, default: 19456, apply: 'live', description: 'argon2id memory cost of new password hashes (OWASP minimum 19456). A login with a hash made with less is re-hashed.' },
  { name: 'argon2-iterations', exchange: null, type: { kind: 'int', min: 2, max: 100 }, default: 2, apply: 'live', description: 'argon2id time cost (passes) of new password hashes (OWASP minimum 2). A login with a hash made with fewer is re-hashed.' },
  { name: 'argon2-parallelism', exchange: null, type: { kind: 'int', min: 1, max: 64 }, default: 1, apply: 'live', description: 'argon2id lanes of new password hashes. A login with a hash made with fewer is re-hashed.' },
  { name: 'allow-weak-hash-schemes', exchange: null, type: { kind: 'string-list', item: /^(PLAIN|CLEAR|PLAIN-MD5|MD5-CRYPT)$/i, hint: 'any of PLAIN,CLEAR,PLAIN-MD5,MD5-CRYPT, comma-separated, or empty' }, default: [], apply: 'live', description: 'Imported Dovecot password schemes too weak for storage that may still verify (then the hash is replaced by argon2id at that login). Empty: such hashes never verify and the log says why.' },
  { name: 'oauth-issuers-file', exchange: null, type: FILE, default: '', apply: 'live', description: 'JSON file of trusted bearer-token issuers for OAUTHBEARER/XOAUTH2 ({"issuers":[{"issuer","audience":[],"keys":[{"pem"}|{"jwk"}],"usernameClaim"}]}); empty: not offered.' },
  { name: 'client-certificate-ca-file', exchange: null, type: FILE, default: '', apply: 'live', description: 'PEM CA certificate(s) that TLS client certificates are verified against for SASL EXTERNAL; when set, IMAP, POP3 and submission ask every TLS client for a certificate (optional). Empty: no certificate is requested and EXTERNAL is not offered.' },
  { name: 'client-certificate-identity', exchange: null, type: { kind: 'enum', values: ['email', 'common-name'] }, default: 'email', apply: 'live', description: 'Which field of a verified client certificate names the account: email (the first rfc822Name subjectAltName, else the subject emailAddress) or common-name (the subject CN).' },
];

export const DIRECTORY_SETTINGS: SettingDef[] = [
  { name: 'kind', exchange: null, type: { kind: 'enum', values: ['local', 'ldap'] }, default: 'local', apply: 'restart', description: 'Where accounts and passwords live: local (the store) or ldap (LDAP / Active Directory).' },
  { name: 'url', exchange: null, type: { kind: 'string', maxLength: 1024, pattern: /^$|^ldaps?:\/\/\S+$/, hint: 'ldap://host:389 or ldaps://host:636' }, default: '', apply: 'restart', description: 'The directory server.' },
  { name: 'start-tls', exchange: null, type: { kind: 'bool' }, default: true, apply: 'restart', description: 'Upgrade ldap:// connections with StartTLS.' },
  { name: 'ca-file', exchange: null, type: FILE, default: '', apply: 'restart', description: 'PEM CA certificate(s) the directory certificate must chain to; empty: the system store.' },
  { name: 'mode', exchange: null, type: { kind: 'enum', values: ['search-then-bind', 'bind-as-user'] }, default: 'search-then-bind', apply: 'restart', description: 'search-then-bind: find the entry as bind-dn, then bind as it; bind-as-user: bind with user-dn-template.' },
  { name: 'bind-dn', exchange: null, type: { kind: 'string', maxLength: 1024, hint: 'a DN' }, default: '', apply: 'restart', description: 'Service account for searches.' },
  { name: 'bind-password-file', exchange: null, type: FILE, default: '', apply: 'restart', description: 'File holding the service account password (first line); never logged.' },
  { name: 'base-dn', exchange: null, type: { kind: 'string', maxLength: 1024, hint: 'a DN' }, default: '', apply: 'restart', description: 'Where users are searched.' },
  { name: 'user-filter', exchange: null, type: { kind: 'string', maxLength: 1024, hint: 'an LDAP filter with {user}' }, default: '(&(objectClass=*)(|(mail={user})(uid={user})))', apply: 'restart', description: 'Search filter; {user} is the escaped login name.' },
  { name: 'user-dn-template', exchange: null, type: { kind: 'string', maxLength: 1024, hint: 'a DN with {user}' }, default: '', apply: 'restart', description: 'For bind-as-user, e.g. uid={user},ou=people,dc=example,dc=org or {user} for AD.' },
  { name: 'address-attribute', exchange: null, type: { kind: 'string', maxLength: 64, pattern: /^[A-Za-z][A-Za-z0-9-]*$/, hint: 'an attribute name' }, default: 'mail', apply: 'restart', description: 'Attribute with the mail address.' },
  { name: 'quota-attribute', exchange: null, type: { kind: 'string', maxLength: 64, pattern: /^$|^[A-Za-z][A-Za-z0-9-]*$/, hint: 'an attribute name, or empty' }, default: '', apply: 'restart', description: 'Attribute with the quota in octets.' },
  { name: 'imap-enabled-attribute', exchange: 'ImapEnabled', type: { kind: 'string', maxLength: 64, pattern: /^$|^[A-Za-z][A-Za-z0-9-]*$/, hint: 'an attribute name, or empty' }, default: '', apply: 'restart', description: 'Attribute switching IMAP off for a user (false/no/0/off/disabled).' },
  { name: 'pop-enabled-attribute', exchange: 'PopEnabled', type: { kind: 'string', maxLength: 64, pattern: /^$|^[A-Za-z][A-Za-z0-9-]*$/, hint: 'an attribute name, or empty' }, default: '', apply: 'restart', description: 'Attribute switching POP3 off for a user.' },
  { name: 'backend-attribute', exchange: null, type: { kind: 'string', maxLength: 64, pattern: /^$|^[A-Za-z][A-Za-z0-9-]*$/, hint: 'an attribute name, or empty' }, default: '', apply: 'restart', description: 'Attribute pinning a user to one backend (HOST[:PORT]; frontends hand the user there only). Empty: no pins from the directory.' },
  { name: 'timeout-ms', exchange: null, type: { kind: 'int', min: 100, max: 60_000, unit: 'ms' }, default: 5000, apply: 'restart', description: 'Longest wait for the directory; then the login gets NO [UNAVAILABLE].' },
];
