/**
 * Shared set-up of the scale-out e2e tests: a throwaway PostgreSQL database (or the reason to skip
 * when there is none), a cluster secret file, node data dirs on that database, and the servers
 * and dirs cleaned up after the file's tests. Registers its own before/after hooks.
 */
import { after, before } from 'node:test';
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '../../../src/store/postgres/testing.js';
import { cliOk, makeDataDir, type Server } from '../harness.js';

export interface Cluster {
  db: TestDatabase | null;
  /** Why the tests cannot run here (no PostgreSQL), or false. */
  skip: string | false;
  /** Servers still running; stopped after the tests. */
  live: Set<Server>;
  secretFile: string;
  /** A node's data dir on the shared database: these services enabled, listeners on free ports, the cluster secret. */
  nodeDir(services: string[]): string;
}

export function useCluster(opts: { secret: string; trustedFrontends: string }): Cluster {
  const dirs: string[] = [];
  const cluster: Cluster = {
    db: null,
    skip: false,
    live: new Set<Server>(),
    secretFile: '',
    nodeDir(services) {
      const dataDir = join(makeDataDir(), 'data');
      cliOk(dataDir, ['init', '--hostname', 'localhost', '--store', cluster.db!.url]);
      for (const s of services) cliOk(dataDir, ['service', 'enable', s]);
      for (const p of ['imap', 'pop', 'smtp']) cliOk(dataDir, [p, 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0']);
      cliOk(dataDir, ['server', 'set', '--cluster-secret-file', cluster.secretFile, '--trusted-frontends', opts.trustedFrontends]);
      return dataDir;
    },
  };
  before(async () => {
    try {
      cluster.db = await createTestDatabase();
    } catch (err) {
      cluster.skip = `PostgreSQL not reachable: ${(err as Error).message}`;
    }
    const root = makeDataDir();
    dirs.push(root);
    cluster.secretFile = join(root, 'cluster.secret');
    writeFileSync(cluster.secretFile, opts.secret + '\n', { mode: 0o600 });
  });
  after(async () => {
    for (const s of cluster.live) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await cluster.db?.drop();
  });
  return cluster;
}
