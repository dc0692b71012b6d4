/**
 * ServerControl: what the running server offers the admin API. The lead implements it in
 * src/main.ts over the live server; tests use `createDataDirControl` below, a small real
 * implementation over a data dir that keeps service state in memory.
 */
import { loadConfig } from '../../config/config.js';
import { SERVICE_NAMES, type ServiceName, type StartupType } from '../../config/schema.js';
import type { MailStore } from '../../store/store.js';

export type ServiceState = 'Running' | 'Stopped' | 'Degraded';

export interface ServiceRow {
  name: ServiceName;
  startupType: StartupType;
  status: ServiceState;
}

export interface ServerControl {
  readonly dataDir: string;
  readonly store: MailStore;
  /** Every service, with its startup type (config) and its state in the running server. */
  services(): ServiceRow[];
  /** Start / stop / restart a service in the running server without changing its startup type. */
  startService(name: ServiceName): Promise<void>;
  stopService(name: ServiceName): Promise<void>;
  restartService(name: ServiceName): Promise<void>;
  /** Re-read the config file and apply what can be applied live. */
  reload(): Promise<void>;
}

/** A reload that could not apply everything: the config file was refused, or a listener could not be bound (the old one stays). */
export class ReloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReloadError';
  }
}

/** Frontends and the backend they need: a running frontend without it is Degraded. */
export const BACKEND_OF: Partial<Record<ServiceName, ServiceName>> = { imap4: 'imap4-backend', pop3: 'pop3-backend' };

/**
 * A ServerControl over a data dir whose "services" are flags in memory: start/stop flip them,
 * reload() re-reads the config and runs every Automatic service, stops every Disabled one.
 * For tests of the admin API and the console; it starts no listeners.
 */
export function createDataDirControl(dataDir: string, store: MailStore): ServerControl & { reloads: number } {
  const running = new Set<ServiceName>();
  let startup = loadConfig(dataDir).services;
  const apply = (): void => {
    startup = loadConfig(dataDir).services;
    for (const name of SERVICE_NAMES) {
      if (startup[name] === 'Automatic') running.add(name);
      else running.delete(name);
    }
  };
  apply();
  const control = {
    dataDir,
    store,
    reloads: 0,
    services(): ServiceRow[] {
      return SERVICE_NAMES.map((name) => {
        let status: ServiceState = running.has(name) ? 'Running' : 'Stopped';
        const backend = BACKEND_OF[name];
        if (status === 'Running' && backend && !running.has(backend)) status = 'Degraded';
        return { name, startupType: startup[name], status };
      });
    },
    async startService(name: ServiceName): Promise<void> {
      running.add(name);
    },
    async stopService(name: ServiceName): Promise<void> {
      running.delete(name);
    },
    async restartService(name: ServiceName): Promise<void> {
      running.delete(name);
      running.add(name);
    },
    async reload(): Promise<void> {
      apply();
      control.reloads++;
    },
  };
  return control;
}
