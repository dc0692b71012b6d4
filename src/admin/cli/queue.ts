/**
 * `portcullis queue list [--json] | retry ID | remove ID`: the outbound spool (DATA_DIR/queue/).
 * The running server rereads the spool on every pass (at most `pollMs` apart), so `retry` takes
 * effect within seconds without talking to it.
 */
import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { Spool, isQueueId } from '../../smtp/spool.js';

function idArg(ctx: CliContext, usage: string): string {
  const { positionals } = parse(ctx.args, {}, usage, 1);
  const id = positionals[0];
  if (!id) throw new CliError(`ID: missing (usage: ${usage})`);
  if (!isQueueId(id)) throw new CliError(`ID: "${id.slice(0, 80)}" is not a queue id (allowed: an id from "portcullis queue list", e.g. lx3k9a2b-0123456789ab)`);
  return id;
}

export const queueCommands = {
  async list(ctx: CliContext): Promise<number> {
    const usage = 'portcullis queue list [--json]';
    const { values } = parse(ctx.args, { json: { type: 'boolean' } }, usage);
    const entries = await Spool.forDataDir(ctx.dataDir).list((id, err) => process.stderr.write(`portcullis: queue entry ${id}: ${err.message}\n`));
    if (values.json) {
      ctx.stdout(JSON.stringify(entries, null, 2));
      return 0;
    }
    if (!entries.length) {
      ctx.stdout('queue is empty');
      return 0;
    }
    ctx.stdout(['ID', 'FROM', 'RECIPIENTS', 'SIZE', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST ERROR'].join('\t'));
    for (const e of entries) {
      ctx.stdout([e.id, e.from, e.to.join(','), String(e.size), String(e.attempts), e.nextAttemptAt, e.lastError ?? '-'].join('\t'));
    }
    return 0;
  },
  async retry(ctx: CliContext): Promise<number> {
    const id = idArg(ctx, 'portcullis queue retry ID');
    const spool = Spool.forDataDir(ctx.dataDir);
    const e = await spool.get(id);
    if (!e) throw new CliError(`ID: no queue entry ${id} (see: portcullis queue list)`);
    await spool.update({ ...e, nextAttemptAt: new Date().toISOString() });
    ctx.stdout(`queue entry ${id} will be retried on the next pass`);
    return 0;
  },
  async remove(ctx: CliContext): Promise<number> {
    const id = idArg(ctx, 'portcullis queue remove ID');
    if (!(await Spool.forDataDir(ctx.dataDir).remove(id))) throw new CliError(`ID: no queue entry ${id} (see: portcullis queue list)`);
    ctx.stdout(`queue entry ${id} removed (no bounce is sent)`);
    return 0;
  },
};
