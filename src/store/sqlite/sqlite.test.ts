import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runStoreConformance } from '../conformance/suite.js';
import { openSqliteStore } from './index.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-'));
  dirs.push(d);
  return d;
}

runStoreConformance('sqlite', () => openSqliteStore(newDir()), {
  openShared: async () => {
    const d = newDir();
    return [await openSqliteStore(d), await openSqliteStore(d)];
  },
});
