/**
 * `portcullis deliver --to ADDRESS [--mailbox NAME] < message`: local delivery through the same
 * path as LMTP. Exit 0 only once the message is durable. Exit codes follow sysexits so an MTA can
 * use it as a pipe transport: 67 unknown user, 75 temporary failure, 2 bad input.
 */
import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { checkAddress } from './user.js';
import { loadConfig } from '../../config/config.js';
import { openStore } from '../../store/open.js';
import { createMailboxService } from '../../mailbox/service.js';
import { isMailError } from '../../core/errors.js';

const USAGE = 'portcullis deliver --to ADDRESS [--mailbox NAME] < message';

export async function deliverCommand(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { to: { type: 'string' }, mailbox: { type: 'string' } }, USAGE);
  const to = checkAddress(values.to as string | undefined, USAGE).toLowerCase();
  const cfg = loadConfig(ctx.dataDir);
  const raw = await ctx.readStdin();
  if (raw.length === 0) throw new CliError('message: empty standard input (allowed: an RFC 5322 message on standard input)');
  const store = await openStore(ctx.dataDir, cfg);
  try {
    const service = createMailboxService(store);
    const r = await service.deliver(to, raw, { mailbox: (values.mailbox as string | undefined) ?? 'INBOX' });
    ctx.stdout(`delivered to ${to} uid ${r.uid}`);
    return 0;
  } catch (err) {
    if (isMailError(err, 'NONEXISTENT')) throw new CliError(`--to/--mailbox: ${err.message}`, 67);
    if (isMailError(err, 'TOOBIG') || isMailError(err, 'CANNOT') || isMailError(err, 'BADINPUT')) throw new CliError(`message: ${err.message}`);
    if (isMailError(err, 'OVERQUOTA') || isMailError(err, 'UNAVAILABLE')) throw new CliError(`${err.message}`, 75);
    throw err;
  } finally {
    await store.close();
  }
}
