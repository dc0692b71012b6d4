/**
 * The authenticated IMAP session (the backend side of the hand-off): one state gate for every
 * command, sequential execution of pipelined commands, untagged updates from other sessions at
 * the moments RFC 3501 §5.2/§7.4.1 allow, and IDLE.
 */
import type { Connection } from '../net/types.js';
import type { Account } from '../store/store.js';
import type { UserMailboxes } from '../mailbox/types.js';
import type { ImapSettings } from '../config/config.js';
import type { Logger } from '../core/log.js';
import { CommandReader } from './reader.js';
import { tokenizeCommand, type ImapToken } from './protocol/tokenizer.js';
import { tagOf } from './protocol/framer.js';
import { Args } from './protocol/args.js';
import { SelectedMailbox } from './selected.js';
import { errorToResult } from './errors.js';
import { flagList } from './protocol/encoder.js';
import { formatSequenceSet } from './protocol/seqset.js';
import type { CommandDescriptor, CommandResult, SessionState } from './commands/types.js';
import { imapRequest, type SessionObserver } from '../observe/session-observer.js';
import type { ReadReceipts } from '../mailbox/read-receipts.js';

export interface ImapSessionDeps {
  connection: Connection;
  account: Account;
  mailboxes: UserMailboxes;
  settings: () => ImapSettings;
  logger: Logger;
  capabilities: () => string[];
  commands: ReadonlyMap<string, CommandDescriptor>;
  /** Bytes the frontend had read but not yet used. */
  leftover: Buffer;
  onEnd?: () => void;
  /** Protocol log and metrics of the connection (the frontend's, carried over the hand-off). */
  observer?: SessionObserver;
  /** Server-sent read receipts (FETCH calls it when a download sets \Seen); absent: none. */
  readReceipts?: ReadReceipts | null;
}

/** Output is coalesced up to this many bytes before a socket write. */
const OUT_COALESCE = 16 * 1024;

export class ImapSession {
  readonly connection: Connection;
  readonly account: Account;
  readonly mailboxes: UserMailboxes;
  readonly logger: Logger;
  readonly readReceipts: ReadReceipts | null;
  state: SessionState | 'logout' = 'authenticated';
  selected: SelectedMailbox | null = null;
  condstore = false;
  qresync = false;
  private dirty = false;
  private readonly reader: CommandReader;
  private unwatch: (() => void) | null = null;
  private idleKick: (() => void) | null = null;
  private syncChain: Promise<void> = Promise.resolve();
  private out: Buffer[] = [];
  private outBytes = 0;
  /** A command is running (between reading it and writing its tagged reply). */
  private busy = false;
  /** Set by shutdown(): the session ends after the command in flight, with this BYE text. */
  private stopping: string | null = null;

  constructor(private readonly deps: ImapSessionDeps) {
    this.connection = deps.connection;
    this.account = deps.account;
    this.mailboxes = deps.mailboxes;
    this.logger = deps.logger;
    this.readReceipts = deps.readReceipts ?? null;
    const s = deps.settings();
    this.reader = new CommandReader(this.connection, { maxLineSize: s.maxCommandSize, maxLiteralSize: s.maxLiteralSize }, () => {
      this.send('+ Ready for literal data');
    });
  }

  get settings(): ImapSettings {
    return this.deps.settings();
  }

  capabilities(): string[] {
    return this.deps.capabilities();
  }

  /** Writes the tagged OK of the login command, then serves commands until the end. */
  async start(loginTag: string): Promise<void> {
    this.connection.onData((chunk) => this.reader.feed(chunk));
    this.connection.onClose(() => this.reader.end());
    if (this.deps.leftover.length) this.reader.feed(this.deps.leftover);
    this.connection.resume();
    this.unwatch = this.mailboxes.watch((ev) => {
      const sel = this.selected;
      if (!sel || ev.mailboxId !== sel.id) return;
      this.dirty = true;
      this.idleKick?.();
    });
    this.armTimeout();
    this.send(`${loginTag} OK [CAPABILITY ${this.capabilities().join(' ')}] Logged in`);
    try {
      await this.loop();
    } catch (err) {
      this.logger.error('imap-session-failed', { err: err instanceof Error ? err : new Error(String(err)) });
      this.closeWith('* BYE Internal error\r\n');
    } finally {
      this.unwatch?.();
      this.deps.onEnd?.();
    }
  }

  private armTimeout(): void {
    this.connection.setIdleTimeout(this.settings.authenticatedConnectionTimeout * 1000, () => {
      this.closeWith('* BYE Autologout; idle for too long\r\n');
    });
  }

  /** Writes a line now (tagged replies, continuation requests), after anything buffered. */
  send(line: string): void {
    this.out.push(Buffer.from(line + '\r\n', 'utf8'));
    this.flush();
  }

  /** Queues an untagged response (written at the next flush, or when the buffer fills). */
  untagged(text: string): void {
    this.write('* ' + text + '\r\n');
  }

  /** Queues output; small writes are coalesced into larger socket writes. */
  write(data: string | Buffer): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (b.length >= OUT_COALESCE) {
      this.flush();
      this.connection.write(b);
      return;
    }
    this.out.push(b);
    this.outBytes += b.length;
    if (this.outBytes >= OUT_COALESCE) this.flush();
  }

  /** Writes everything queued. */
  flush(): void {
    if (!this.out.length) return;
    const data = this.out.length === 1 ? this.out[0] : Buffer.concat(this.out);
    this.out = [];
    this.outBytes = 0;
    this.connection.write(data);
  }

  /** Waits until the client has taken most of what was written (backpressure). */
  drained(): Promise<void> {
    return this.connection.drained();
  }

  /** Flushes queued output, then closes with final bytes. */
  private closeWith(final: string): void {
    this.flush();
    this.connection.close(final);
  }

  /** Reads the next line of input outside the command loop (IDLE's DONE). */
  readLine(): Promise<string | null> {
    return this.reader.next().then(lineOf);
  }

  private async loop(): Promise<void> {
    while (this.state !== 'logout') {
      const r = await this.reader.next();
      if (!r) return;
      const req = r.kind === 'command' ? imapRequest(r.parts, r.literals) : { command: '', parameters: '', rqsize: 0 };
      const observed = this.deps.observer?.begin(req.command, req.parameters, req.rqsize);
      if (r.kind === 'error') {
        if (r.reason === 'literal-too-big' && !r.fatal) this.send(`${r.tag ?? '*'} NO [TOOBIG] ${r.message}`);
        else this.send(`${r.tag ?? '*'} BAD ${r.message}`);
        observed?.(r.reason === 'literal-too-big' && !r.fatal ? 'NO' : 'BAD');
        if (r.fatal) {
          this.closeWith('* BYE Protocol error\r\n');
          return;
        }
        continue;
      }
      let tag: string;
      let tokens: ImapToken[];
      try {
        ({ tag, tokens } = tokenizeCommand(r.parts, r.literals));
      } catch (err) {
        const t = tagOf(r.parts[0] ?? Buffer.alloc(0));
        this.send(`${t ?? '*'} BAD ${err instanceof Error ? err.message : 'Syntax error'}`);
        observed?.('BAD');
        continue;
      }
      this.busy = true;
      try {
        observed?.(await this.execute(tag, tokens));
      } finally {
        this.busy = false;
        observed?.();
      }
      if (this.stopping !== null && (this.state as string) !== 'logout') {
        this.state = 'logout';
        this.closeWith(`* BYE ${this.stopping}\r\n`);
      }
    }
  }

  /** Runs one command; resolves the status of its tagged reply (for the protocol log). */
  private async execute(tag: string, tokens: ImapToken[]): Promise<string> {
    const first = tokens[0];
    if (!first || first.type !== 'atom') {
      this.send(`${tag} BAD Missing command`);
      return 'BAD';
    }
    let name = first.value.toUpperCase();
    let uid = false;
    let argStart = 1;
    if (name === 'UID') {
      const sub = tokens[1];
      if (!sub || sub.type !== 'atom') {
        this.send(`${tag} BAD UID needs a command`);
        return 'BAD';
      }
      name = sub.value.toUpperCase();
      uid = true;
      argStart = 2;
    }
    const desc = this.deps.commands.get(name);
    let result: CommandResult;
    if (!desc) {
      result = { status: 'BAD', text: `Unknown command ${name.slice(0, 40)}` };
    } else if (uid && !desc.uidForm) {
      result = { status: 'BAD', text: `UID ${name} is not a command` };
    } else if (this.state === 'logout' || !desc.states.includes(this.state)) {
      result = { status: 'BAD', text: this.state === 'authenticated' ? `${name}: no mailbox selected` : `${name} is not allowed now` };
    } else {
      try {
        result = await desc.run({ tag, uid, args: new Args(tokens.slice(argStart), name), session: this });
      } catch (err) {
        result = errorToResult(err, this.logger, name);
      }
    }
    if (this.state === 'logout') return result.status;
    if (this.selected && result.status !== 'BAD') {
      try {
        await this.sync(!(desc?.holdsExpunges && !uid));
      } catch (err) {
        this.logger.warn('imap-sync-failed', { err: err instanceof Error ? err : new Error(String(err)) });
      }
    }
    this.send(`${tag} ${result.status}${result.code ? ` [${result.code}]` : ''} ${result.text}`);
    this.armTimeout();
    return result.status;
  }

  /** Ends the session at once (output already sent cannot be taken back). */
  abort(reason: string): void {
    if (this.state === 'logout') return;
    this.state = 'logout';
    this.closeWith(`\r\n* BYE ${reason}\r\n`);
  }

  /** Marks the selected mailbox as needing a resync at the next opportunity. */
  markDirty(): void {
    this.dirty = true;
  }

  /** Enters IDLE: untagged updates as they happen until the client sends DONE. */
  async idle(): Promise<CommandResult> {
    this.send('+ idling');
    const kick = (): void => {
      this.syncChain = this.syncChain.then(() => this.sync(true)).then(() => this.flush()).catch((err: unknown) => {
        this.logger.warn('imap-sync-failed', { err: err instanceof Error ? err : new Error(String(err)) });
      });
    };
    this.idleKick = kick;
    if (this.selected) this.dirty = true;
    kick();
    try {
      const line = await this.readLine();
      if (line === null) return { status: 'OK', text: 'IDLE terminated' };
      await this.syncChain;
      if (line.trim().toUpperCase() !== 'DONE') return { status: 'BAD', text: 'Expected DONE' };
      return { status: 'OK', text: 'IDLE terminated' };
    } finally {
      this.idleKick = null;
    }
  }

  /**
   * Catches up with changes made elsewhere: new messages (EXISTS/RECENT), flag changes
   * (FETCH) and, when allowed, expunges (EXPUNGE or VANISHED).
   */
  async sync(allowExpunge: boolean): Promise<void> {
    const sel = this.selected;
    if (!sel) return;
    if (this.dirty) {
      this.dirty = false;
      const info = await this.mailboxes.getById(sel.id);
      if (!info) {
        this.state = 'logout';
        this.closeWith('* BYE Selected mailbox was deleted, have to disconnect\r\n');
        return;
      }
      // Every change (append, flags, expunge) raises the mailbox's HIGHESTMODSEQ: unchanged, there
      // is nothing to read (a NOOP poll then costs one lookup, as Dovecot's index check does).
      const ch = info.highestModseq > sel.syncedModseq
        ? await this.mailboxes.changesSince(sel.id, sel.syncedModseq)
        : { changed: [], expunged: [], highestModseq: sel.syncedModseq };
      const expunged = new Set(ch.expunged);
      for (const u of ch.expunged) if (sel.has(u)) sel.pendingExpunges.add(u);
      const max = sel.maxUid();
      const fresh = ch.changed.filter((r) => r.uid > max && !expunged.has(r.uid)).map((r) => r.uid).sort((a, b) => a - b);
      sel.addUids(fresh);
      sel.syncedModseq = Math.max(sel.syncedModseq, ch.highestModseq);
      if (fresh.length && !sel.readOnly) sel.addRecent(await this.mailboxes.claimRecent(sel.id));
      if (allowExpunge) this.announceExpunges();
      if (sel.count !== sel.announcedExists || fresh.length) {
        this.untagged(`${sel.count} EXISTS`);
        sel.announcedExists = sel.count;
        const rc = sel.recentCount();
        if (rc !== sel.announcedRecent || fresh.length) {
          this.untagged(`${rc} RECENT`);
          sel.announcedRecent = rc;
        }
      }
      for (const r of ch.changed) {
        if (r.uid > max) continue;
        const seq = sel.seqOf(r.uid);
        if (!seq || sel.pendingExpunges.has(r.uid)) continue;
        const own = sel.ownChanges.get(r.uid);
        if (own !== undefined && own >= r.modseq) continue;
        const flags = sel.isRecent(r.uid) ? [...r.flags, '\\Recent'] : r.flags;
        let items = `FLAGS ${flagList(flags)}`;
        if (this.qresync) items = `UID ${r.uid} ` + items;
        if (this.condstore) items += ` MODSEQ (${r.modseq})`;
        this.untagged(`${seq} FETCH (${items})`);
      }
      sel.ownChanges.clear();
    } else if (allowExpunge) {
      this.announceExpunges();
      if (sel.count !== sel.announcedExists) {
        this.untagged(`${sel.count} EXISTS`);
        sel.announcedExists = sel.count;
      }
    }
  }

  private announceExpunges(): void {
    const sel = this.selected;
    if (!sel || !sel.pendingExpunges.size) return;
    this.reportExpunged([...sel.pendingExpunges]);
  }

  /** Removes UIDs from the map and tells the client (EXPUNGE, or VANISHED under QRESYNC). */
  reportExpunged(uids: number[]): void {
    const sel = this.selected;
    if (!sel) return;
    const present = uids.filter((u) => sel.has(u)).sort((a, b) => a - b);
    const seqs = sel.removeUids(present);
    if (!seqs.length) return;
    if (this.qresync) this.untagged(`VANISHED ${formatSequenceSet(present)}`);
    else for (const s of seqs) this.untagged(`${s} EXPUNGE`);
    sel.announcedExists = sel.count;
  }

  /** Leaves the selected state (CLOSE, UNSELECT, another SELECT). */
  deselect(): void {
    this.selected = null;
    this.state = 'authenticated';
  }

  /** LOGOUT: BYE, tagged OK, close. */
  logout(tag: string): void {
    this.state = 'logout';
    this.closeWith(`* BYE Logging out\r\n${tag} OK Logout completed\r\n`);
  }

  /** Ends the session from the server side (service stop). */
  /**
   * Ends the session from the server side (service stop): at once when it is waiting for a
   * command or in IDLE, otherwise right after the command in flight has been answered.
   */
  shutdown(reason: string): void {
    if (this.state === 'logout') return;
    if (this.busy && !this.idleKick) {
      this.stopping = reason;
      return;
    }
    this.state = 'logout';
    this.closeWith(`* BYE ${reason}\r\n`);
  }
}

/** The text of a framed line (IDLE's DONE); '' for an error, null at the end of input. */
function lineOf(r: Awaited<ReturnType<CommandReader['next']>>): string | null {
  if (!r) return null;
  if (r.kind !== 'command') return '';
  return Buffer.concat(r.parts).toString('latin1');
}
