/**
 * Before/after measurement of the big-mailbox operations on an already loaded data dir (one kept
 * by `BENCH_KEEP=1 node dist/bench/run.js --only big-mailbox`), without reloading 100,000 messages:
 *   node dist/bench/big-mailbox-ab.js DATA_DIR [--repeats N] [--workers N] [--cpu-prof DIR]
 * Starts `serve` from the build this file belongs to (so dist-a/bench/... measures dist-a), runs
 * SELECT, UID FETCH 1:* (FLAGS), UID SEARCH FROM, UID SEARCH TEXT N times, prints medians as JSON.
 * Note: a newer build migrates the data dir's schema; give an older build its own copy.
 */
import { parseArgs } from 'node:util';
import { bigMailboxWorkload } from './loadgen/workloads.js';
import { cpuSeconds, pssKiB, startPortcullis } from './targets.js';
import type { DatasetSpec } from './loadgen/dataset.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { repeats: { type: 'string', default: '5' }, workers: { type: 'string', default: '1' }, 'cpu-prof': { type: 'string' } },
});
const dataDir = positionals[0];
if (!dataDir) {
  process.stderr.write('usage: big-mailbox-ab.js DATA_DIR [--repeats N] [--workers N]\n');
  process.exit(2);
}
const spec: DatasetSpec = { users: 0, messagesPerUser: 0, popUsers: 0, popMessages: 0, bigMessages: 100_000, idleUsers: 0 };

const target = await startPortcullis(dataDir, Number(values.workers), { cpuProf: values['cpu-prof'] });
try {
  const t = { imaps: target.imaps, pop3s: target.pop3s, lmtp: target.lmtp, memoryKiB: () => pssKiB(target.pids()), cpuSeconds: () => cpuSeconds(target.pids()) };
  await bigMailboxWorkload(t, spec, { repeats: 1 }); // warm-up (and the schema migration, if any)
  const res = await bigMailboxWorkload(t, spec, { repeats: Number(values.repeats) });
  const out: Record<string, number> = {};
  for (const [op, r] of Object.entries(res)) out[op] = Math.round(r.value * 10) / 10;
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  await target.stop();
}
