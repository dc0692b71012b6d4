/** Opens the store the config names: SQLite in the data dir (the default), PostgreSQL later. */
import { MailError } from '../core/errors.js';
import type { ConfigFile } from '../config/config.js';
import { openSqliteStore } from './sqlite/index.js';
import type { ChangeFeed, MailStore } from './store.js';

export async function openStore(dataDir: string, cfg: ConfigFile, opts: { feed?: ChangeFeed } = {}): Promise<MailStore> {
  const store = cfg.store ?? { kind: 'sqlite' };
  if (store.kind === 'sqlite') return openSqliteStore(dataDir, opts);
  if (store.kind === 'postgres') throw new MailError('UNAVAILABLE', 'postgres store not yet available');
  throw new MailError('BADINPUT', `unknown store kind ${JSON.stringify((store as { kind: unknown }).kind)}`);
}
