/**
 * Builds the authentication pieces the server needs from the config: failure throttling (with its
 * attack-detection callback), the password-hashing settings (argon2id parameters, weak-scheme
 * opt-in), master users, bearer-token issuers (read from a JSON file, re-read when it changes) and
 * the directory (local, or LDAP / Active Directory).
 */
import { readFileSync, statSync } from 'node:fs';
import type { AuthSettings, DirectorySettings } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import { MemoryThrottle, type ThrottleOptions } from './throttle.js';
import { setAllowedWeakSchemes, setArgon2Params } from './passwords.js';
import type { OAuthSettings } from './jwt.js';
import { createLdapDirectory } from '../directory/ldap.js';
import type { Directory } from '../directory/types.js';

export function throttleFromSettings(s: AuthSettings, onChange: () => void, onDetect?: ThrottleOptions['onDetect']): MemoryThrottle {
  return new MemoryThrottle({
    freeFailures: s.freeFailures,
    baseDelayMs: s.baseDelayMs,
    maxDelayMs: s.maxDelayMs,
    ipBlockAfter: s.ipBlockAfter,
    blockMs: s.blockMinutes * 60_000,
    windowMs: s.windowMinutes * 60_000,
    ipDistinctAccountsBlockAfter: s.ipDistinctAccountsBlockAfter,
    accountDistinctNetworksAlert: s.accountDistinctNetworksAlert,
    allowList: s.allowList,
    onChange,
    ...(onDetect ? { onDetect } : {}),
  });
}

/** Applies the password-hashing settings (argon2id parameters, weak-scheme opt-in); at start and on every reload. */
export function applyPasswordSettings(s: AuthSettings): void {
  setArgon2Params({ memoryCost: s.argon2MemoryKib, timeCost: s.argon2Iterations, parallelism: s.argon2Parallelism });
  setAllowedWeakSchemes(s.allowWeakHashSchemes);
}

/** OAuth issuers from `oauth-issuers-file`, cached until the file changes; null when not set. */
export function oauthIssuers(file: () => string): () => OAuthSettings | null {
  let cached: { path: string; mtimeMs: number; value: OAuthSettings | null } | null = null;
  return () => {
    const path = file();
    if (!path) return null;
    try {
      const mtimeMs = statSync(path).mtimeMs;
      if (cached && cached.path === path && cached.mtimeMs === mtimeMs) return cached.value;
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as OAuthSettings;
      const value = Array.isArray(parsed.issuers) && parsed.issuers.length ? parsed : null;
      cached = { path, mtimeMs, value };
      return value;
    } catch {
      return null; // unreadable or invalid: bearer tokens are not offered (the analyzer says why)
    }
  };
}

/** The LDAP directory when `directory kind` is ldap; undefined for the local directory. */
export function directoryFromSettings(d: DirectorySettings): Directory | undefined {
  if (d.kind !== 'ldap') return undefined;
  if (!d.url) throw new ConfigError('directory url: missing (allowed: ldap://host:389 or ldaps://host:636 when kind is ldap)');
  const read = (setting: string, path: string): string | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`directory ${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  return createLdapDirectory({
    url: d.url,
    startTls: d.startTls,
    tlsCa: read('ca-file', d.caFile),
    mode: d.mode,
    bindDn: d.bindDn || undefined,
    bindPassword: read('bind-password-file', d.bindPasswordFile)?.split(/\r?\n/)[0],
    baseDn: d.baseDn,
    userFilter: d.userFilter,
    userDnTemplate: d.userDnTemplate || undefined,
    attributes: {
      address: d.addressAttribute,
      quota: d.quotaAttribute || undefined,
      imapEnabled: d.imapEnabledAttribute || undefined,
      popEnabled: d.popEnabledAttribute || undefined,
      backend: d.backendAttribute || undefined,
    },
    timeoutMs: d.timeoutMs,
  });
}
