/**
 * What the running server tells the CLI about itself: DATA_DIR/run/status.json, rewritten
 * atomically whenever a service starts or stops. A status whose pid is not alive is stale.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceName } from '../config/schema.js';

export type ServiceStatus = 'Running' | 'Stopped' | 'Degraded';

export interface RunStatus {
  pid: number;
  startedAt: string;
  services: Partial<Record<ServiceName, ServiceStatus>>;
  listeners: Array<{ service: string; kind: string; address: string; port: number }>;
}

function statusPath(dataDir: string): string {
  return join(dataDir, 'run', 'status.json');
}

export function writeRunStatus(dataDir: string, status: RunStatus): void {
  mkdirSync(join(dataDir, 'run'), { recursive: true, mode: 0o700 });
  const path = statusPath(dataDir);
  writeFileSync(path + '.tmp', JSON.stringify(status, null, 2) + '\n', { mode: 0o600 });
  renameSync(path + '.tmp', path);
}

export function clearRunStatus(dataDir: string): void {
  rmSync(statusPath(dataDir), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readRunStatus(dataDir: string): RunStatus | null {
  try {
    const status = JSON.parse(readFileSync(statusPath(dataDir), 'utf8')) as RunStatus;
    return alive(status.pid) ? status : null;
  } catch {
    return null;
  }
}
