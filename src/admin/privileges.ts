/**
 * Dropping root after binding: `serve` started as root binds the low ports (143, 993, 110, 995,
 * 587, 465) and then becomes the unprivileged user named by the `run-as-user` setting. The
 * data dir must already belong to that user (`chown -R USER: DATA_DIR`): we check before any
 * port is bound, so a mistake is a clear refusal at start, not a failure at the first write.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config.js';

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

function idOf(user: string, flag: '-u' | '-g'): number {
  try {
    return Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    throw new ConfigError(`run-as-user: no such user "${user}" (allowed: an existing system user, e.g. one made with: useradd --system portcullis)`);
  }
}

/** Resolves the user and checks the data dir belongs to it. Null when there is nothing to do. */
export function checkRunAsUser(user: string, dataDir: string): RunAs | null {
  if (!user || process.getuid?.() !== 0) return null;
  const runAs = { user, uid: idOf(user, '-u'), gid: idOf(user, '-g') };
  const wrong: string[] = [];
  const check = (path: string) => {
    if (statSync(path).uid !== runAs.uid) wrong.push(path);
  };
  check(dataDir);
  for (const entry of readdirSync(dataDir)) {
    const path = join(dataDir, entry);
    check(path);
    if (statSync(path).isDirectory()) for (const inner of readdirSync(path).slice(0, 1000)) check(join(path, inner));
  }
  if (wrong.length) {
    throw new ConfigError(`run-as-user: ${wrong[0]}${wrong.length > 1 ? ` and ${wrong.length - 1} more` : ''} not owned by ${user} (fix: chown -R ${user}: ${dataDir})`);
  }
  return runAs;
}

/** Becomes `runAs` for good (supplementary groups, group, then user). Returns a line for the log. */
export function dropPrivileges(runAs: RunAs): string {
  (process as NodeJS.Process & { initgroups?: (user: string, group: number) => void }).initgroups?.(runAs.user, runAs.gid);
  process.setgid?.(runAs.gid);
  process.setuid?.(runAs.uid);
  return `dropped privileges: now running as ${runAs.user} (uid ${runAs.uid}, gid ${runAs.gid})`;
}
