/**
 * Test driver for test/e2e/durability.test.ts: opens the store in DATA_DIR and delivers COUNT
 * messages to ADDRESS, printing "ACK <n> <uid>" after each delivery has resolved (that is, is
 * durable). The test kills it with SIGKILL at an arbitrary moment.
 *   node deliver-loop.js DATA_DIR ADDRESS SEED COUNT
 */
import { createMailboxService } from '../../../src/mailbox/service.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import { durabilityMessage } from './durability-messages.js';

async function main(): Promise<void> {
  const [dir, address, seed, countText] = process.argv.slice(2);
  if (!dir || !address || !seed || !countText) throw new Error('usage: deliver-loop DATA_DIR ADDRESS SEED COUNT');
  const store = await openSqliteStore(dir);
  const service = createMailboxService(store);
  process.stdout.write('READY\n');
  for (let n = 1; n <= Number(countText); n++) {
    const r = await service.deliver(address, durabilityMessage(seed, n));
    process.stdout.write(`ACK ${n} ${r.uid}\n`);
  }
  await store.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`deliver-loop: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
