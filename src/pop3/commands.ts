/**
 * TRANSACTION-state commands of RFC 1939 (STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL, QUIT)
 * over an open Maildrop. The session's state gate has already checked that the command belongs
 * to this state. Message bodies are streamed with CRLF normalisation, dot-stuffing and
 * backpressure; never buffered whole.
 */
import { isMailError } from '../core/errors.js';
import type { Maildrop, MaildropEntry } from './maildrop.js';
import { PopBodyEncoder, TopLimiter, errLine, okLine, parseNumber, type PopCommand } from './protocol.js';
import type { PopOutput } from './types.js';

type Outcome = 'continue' | 'quit';

/** Resolves argument `arg` to an entry, or writes the -ERR and returns null. */
function pick(md: Maildrop, arg: string | undefined, out: PopOutput, verb: string, allowDeleted = false): MaildropEntry | null {
  const n = parseNumber(arg);
  if (n === null) {
    out.write(errLine(`Syntax: ${verb} <message number>`));
    return null;
  }
  const entry = n >= 1 ? md.entries[n - 1] : undefined;
  if (!entry) {
    out.write(errLine(`No such message: ${n} (the maildrop has ${md.entries.length})`));
    return null;
  }
  if (entry.deleted && !allowDeleted) {
    out.write(errLine(`message ${n} already deleted`));
    return null;
  }
  return entry;
}

function listing(md: Maildrop, line: (n: number, e: MaildropEntry) => string): string[] {
  const lines: string[] = [];
  md.entries.forEach((e, i) => {
    if (!e.deleted) lines.push(line(i + 1, e));
  });
  return lines;
}

export async function executeTransactionCommand(md: Maildrop, cmd: PopCommand, out: PopOutput): Promise<Outcome> {
  const a = cmd.args;
  switch (cmd.verb) {
    case 'STAT':
      if (a.length > 0) return syntax(out, 'STAT');
      out.write(okLine(`${md.count} ${md.octets}`));
      return 'continue';
    case 'LIST':
    case 'UIDL': {
      if (a.length > 1) return syntax(out, `${cmd.verb} [message number]`);
      const render = cmd.verb === 'LIST'
        ? (n: number, e: MaildropEntry) => `${n} ${e.size}`
        : (n: number, e: MaildropEntry) => `${n} ${md.uidl(e)}`;
      if (a.length === 1) {
        const e = pick(md, a[0], out, cmd.verb);
        if (e) out.write(okLine(render(Number(a[0]), e)));
        return 'continue';
      }
      const head = cmd.verb === 'LIST' ? `${md.count} messages (${md.octets} octets)` : 'Unique-ID listing follows';
      const lines = listing(md, render);
      for (let i = 0; i < lines.length; i += 1000) {
        // Large maildrops: write in slices and respect backpressure.
        const slice = lines.slice(i, i + 1000).map((l) => l + '\r\n').join('');
        out.write(i === 0 ? okLine(head) + slice : slice);
        await out.drained();
      }
      out.write(lines.length === 0 ? okLine(head) + '.\r\n' : '.\r\n');
      return 'continue';
    }
    case 'RETR': {
      if (a.length !== 1) return syntax(out, 'RETR <message number>');
      const e = pick(md, a[0], out, 'RETR');
      if (e && (await sendMessage(md, e, out, null))) {
        // Read receipts (RFC 8098): \Seen is only set at QUIT, so the sender checks it itself.
        if (!e.retrieved) md.readReceipts?.downloaded(md.mailboxes, md.mailboxId, [e.uid], { unlessSeen: true });
        e.retrieved = true;
      }
      return 'continue';
    }
    case 'TOP': {
      if (a.length !== 2) return syntax(out, 'TOP <message number> <lines>');
      const lines = parseNumber(a[1]);
      if (lines === null) {
        out.write(errLine('Syntax: TOP <message number> <lines> (lines: a non-negative number)'));
        return 'continue';
      }
      const e = pick(md, a[0], out, 'TOP');
      if (e) await sendMessage(md, e, out, new TopLimiter(lines));
      return 'continue';
    }
    case 'DELE': {
      if (a.length !== 1) return syntax(out, 'DELE <message number>');
      const e = pick(md, a[0], out, 'DELE');
      if (e) {
        e.deleted = true;
        out.write(okLine(`message ${a[0]} deleted`));
      }
      return 'continue';
    }
    case 'NOOP':
      if (a.length > 0) return syntax(out, 'NOOP');
      out.write(okLine(''));
      return 'continue';
    case 'RSET':
      if (a.length > 0) return syntax(out, 'RSET');
      for (const e of md.entries) e.deleted = false;
      out.write(okLine(`maildrop has ${md.count} messages (${md.octets} octets)`));
      return 'continue';
    case 'QUIT': {
      if (a.length > 0) return syntax(out, 'QUIT');
      try {
        const removed = await md.update();
        out.write(okLine(`Portcullis POP3 server signing off (${removed} message${removed === 1 ? '' : 's'} deleted)`));
      } catch (err) {
        md.log.error('pop3-update-failed', { err: err instanceof Error ? err : new Error(String(err)) });
        const text = isMailError(err, 'UNAVAILABLE') ? err.message : 'some deleted messages not removed';
        out.write(errLine(text, 'SYS/TEMP'));
      }
      return 'quit';
    }
    default:
      out.write(errLine(`${cmd.verb} is not valid after login`));
      return 'continue';
  }
}

function syntax(out: PopOutput, usage: string): Outcome {
  out.write(errLine(`Syntax: ${usage}`));
  return 'continue';
}

/**
 * Streams a message (whole, or cut by TOP). The +OK is written only once the first bytes are
 * read, so a missing blob gets a clean -ERR; a failure mid-stream closes the connection, since
 * the multi-line framing can no longer be trusted. Returns true when the whole reply was sent.
 */
async function sendMessage(md: Maildrop, e: MaildropEntry, out: PopOutput, limiter: TopLimiter | null): Promise<boolean> {
  const stream = md.mailboxes.streamBlob(e.blobId);
  const it = stream[Symbol.asyncIterator]();
  let next: IteratorResult<string | Buffer>;
  try {
    next = await it.next();
  } catch (err) {
    md.log.error('pop3-read-failed', { uid: e.uid, err: err instanceof Error ? err : new Error(String(err)) });
    out.write(errLine('The message cannot be read right now, try again later', 'SYS/TEMP'));
    return false;
  }
  out.write(okLine(limiter ? 'Top of message follows' : `${e.size} octets`));
  const enc = new PopBodyEncoder();
  try {
    while (!next.done) {
      let chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      if (limiter) chunk = limiter.push(chunk);
      out.write(enc.push(chunk));
      await out.drained();
      if (limiter?.done) {
        await it.return?.();
        break;
      }
      next = await it.next();
    }
  } catch (err) {
    md.log.error('pop3-stream-failed', { uid: e.uid, err: err instanceof Error ? err : new Error(String(err)) });
    out.close();
    return false;
  }
  out.write(enc.end());
  return true;
}
