/**
 * LDAP / Active Directory directory (ldapts client). Two ways to verify a password:
 *   - search-then-bind (default): bind as a service account, find the user's entry with
 *     `userFilter` under `baseDn`, then bind as that entry's DN with the password;
 *   - bind-as-user: bind as `userDnTemplate` (e.g. "uid={user},ou=people,dc=example,dc=org", or
 *     "{user}" for AD's user@domain UPN), then read the entry with the same connection.
 * TLS: ldaps:// URLs, or `startTls` on ldap://. Attribute mapping gives the mail address, the quota
 * and the per-protocol switches. An empty password is never sent (it would be an unauthenticated
 * bind that "succeeds"). Every operation is bounded by `timeoutMs`; a directory that is down or
 * slow makes the login fail with DirectoryUnavailableError, never hang.
 *
 * Settings block (for the lead; config key "directory"):
 *   directory:
 *     kind: ldap                        # or "local" (default)
 *     url: "ldaps://ldap.example.org"
 *     startTls: false
 *     caFile: "/etc/ssl/ldap-ca.pem"    # read by main.ts into `tlsCa`
 *     mode: search-then-bind            # or bind-as-user
 *     bindDn: "cn=portcullis,ou=services,dc=example,dc=org"
 *     bindPasswordFile: "/etc/portcullis/ldap.secret"
 *     baseDn: "ou=people,dc=example,dc=org"
 *     userFilter: "(&(objectClass=inetOrgPerson)(|(mail={user})(uid={user})))"
 *     userDnTemplate: "uid={user},ou=people,dc=example,dc=org"
 *     attributes: { address: mail, quota: mailQuota, imapEnabled: imapEnabled, popEnabled: popEnabled, backend: mailHost }
 *     timeoutMs: 5000
 */
import { randomBytes } from 'node:crypto';
import { Client, InvalidCredentialsError, type Entry } from 'ldapts';
import { DirectoryUnavailableError, type Directory, type DirectoryEntry } from './types.js';

export interface LdapSettings {
  url: string;
  startTls?: boolean;
  /** PEM CA certificate(s) for the directory's certificate. */
  tlsCa?: string;
  mode?: 'search-then-bind' | 'bind-as-user';
  bindDn?: string;
  bindPassword?: string;
  baseDn: string;
  /** "{user}" is replaced by the escaped login name. */
  userFilter?: string;
  userDnTemplate?: string;
  attributes?: { address?: string; quota?: string; imapEnabled?: string; popEnabled?: string; backend?: string };
  timeoutMs?: number;
}

const DEFAULT_FILTER = '(&(objectClass=*)(|(mail={user})(uid={user})))';

function firstValue(entry: Entry, attr: string | undefined): string | null {
  if (!attr) return null;
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attr.toLowerCase());
  const v = key ? entry[key] : undefined;
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined) return null;
  return Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

function flag(v: string | null): boolean {
  if (v === null) return true; // not set: enabled
  return !/^(false|no|0|off|disabled)$/i.test(v.trim());
}

/** RFC 4515 escaping of a value placed in a search filter. */
function escapeFilterValue(v: string): string {
  return v.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** RFC 4514 escaping of a value placed in a DN template. */
function escapeDnValue(v: string): string {
  return v.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

export function createLdapDirectory(settings: LdapSettings): Directory {
  const timeout = settings.timeoutMs ?? 5000;
  const attrs = { address: 'mail', ...settings.attributes };
  const wanted = [attrs.address, attrs.quota, attrs.imapEnabled, attrs.popEnabled, attrs.backend].filter((a): a is string => !!a);

  const tlsOptions = { ...(settings.tlsCa ? { ca: settings.tlsCa } : {}), minVersion: 'TLSv1.2' as const };
  // ldapts opens TLS at connect whenever tlsOptions are given, so they go to ldaps:// URLs only;
  // StartTLS gets them (with the host name the certificate is checked against) after connecting.
  const ldaps = settings.url.startsWith('ldaps://');
  const client = (): Client => new Client({ url: settings.url, timeout, connectTimeout: timeout, ...(ldaps ? { tlsOptions } : {}) });

  async function open(): Promise<Client> {
    const c = client();
    if (settings.startTls && settings.url.startsWith('ldap://')) {
      await c.startTLS({ ...tlsOptions, host: new URL(settings.url).hostname.replace(/^\[(.*)\]$/, '$1') });
    }
    return c;
  }

  const toEntry = (e: Entry, login: string): DirectoryEntry | null => {
    const address = (firstValue(e, attrs.address) ?? (login.includes('@') ? login : '')).toLowerCase();
    if (!address || !address.includes('@')) return null;
    const q = firstValue(e, attrs.quota);
    const quota = q !== null && /^\d{1,15}$/.test(q.trim()) ? Number(q.trim()) : null;
    const entry: DirectoryEntry = { address, quotaBytes: quota, imapEnabled: flag(firstValue(e, attrs.imapEnabled)), popEnabled: flag(firstValue(e, attrs.popEnabled)) };
    // The pin's syntax is checked where it is used (the dialer ignores one that does not parse);
    // here only a value the store would refuse (whitespace, controls, too long) is dropped.
    if (attrs.backend) {
      const b = firstValue(e, attrs.backend)?.trim() ?? '';
      entry.backend = b && b.length <= 300 && !/[\s\x00-\x1f\x7f]/.test(b) ? b : null;
    }
    return entry;
  };

  const unavailable = (err: unknown): DirectoryUnavailableError =>
    new DirectoryUnavailableError(`LDAP directory unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

  async function find(c: Client, login: string): Promise<Entry | null> {
    const filter = (settings.userFilter ?? DEFAULT_FILTER).replace(/\{user\}/g, escapeFilterValue(login));
    const { searchEntries } = await c.search(settings.baseDn, { scope: 'sub', filter, attributes: wanted, sizeLimit: 2 });
    return searchEntries.length === 1 ? searchEntries[0]! : null; // none or ambiguous: no such user
  }

  async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    let c: Client | null = null;
    try {
      c = await open();
      return await fn(c);
    } finally {
      if (c) await c.unbind().catch(() => {});
    }
  }

  async function serviceBind(c: Client): Promise<void> {
    if (settings.bindDn) await c.bind(settings.bindDn, settings.bindPassword ?? '');
  }

  return {
    kind: 'ldap',
    async lookup(username: string): Promise<DirectoryEntry | null> {
      try {
        return await withClient(async (c) => {
          await serviceBind(c);
          const e = await find(c, username);
          return e ? toEntry(e, username) : null;
        });
      } catch (err) {
        throw unavailable(err);
      }
    },
    async verify(username: string, password: string): Promise<DirectoryEntry | null> {
      if (password.length === 0 || username.length === 0) return null;
      try {
        return await withClient(async (c) => {
          if ((settings.mode ?? 'search-then-bind') === 'bind-as-user') {
            const dn = (settings.userDnTemplate ?? '{user}').replace(/\{user\}/g, escapeDnValue(username));
            try {
              await c.bind(dn, password);
            } catch (err) {
              if (err instanceof InvalidCredentialsError) return null;
              throw err;
            }
            const e = await find(c, username);
            return e ? toEntry(e, username) : null;
          }
          await serviceBind(c);
          const e = await find(c, username);
          // An unknown user still costs a user connection and a bind (to a DN that does not
          // exist), so the reply takes as long as for a wrong password and tells nothing apart.
          const dn = e?.dn ?? `cn=portcullis-no-such-user-${randomBytes(8).toString('hex')},${settings.baseDn}`;
          const userClient = await open();
          try {
            await userClient.bind(dn, password);
          } catch (err) {
            if (err instanceof InvalidCredentialsError || !e) return null;
            throw err;
          } finally {
            await userClient.unbind().catch(() => {});
          }
          return e ? toEntry(e, username) : null;
        });
      } catch (err) {
        throw unavailable(err);
      }
    },
    async close(): Promise<void> {
      // connections are per operation
    },
  };
}
