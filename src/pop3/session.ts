/**
 * One POP3 connection: framing, the command queue (PIPELINING: commands run one at a time, in
 * order), the single state gate, timeouts, and the switch from the AUTHORIZATION phase
 * (login.ts) to the TRANSACTION phase (the backend's maildrop).
 */
import type { Authenticator } from '../auth/types.js';
import type { PopSettings } from '../config/config.js';
import type { Logger } from '../core/log.js';
import type { Connection } from '../net/types.js';
import { LoginPhase, capabilities } from './login.js';
import { LineFramer, errLine, multiLine, parseCommand, type Frame, type PopCommand } from './protocol.js';
import type { Pop3Backend, Pop3Transaction, PopOutput } from './types.js';
import { popRequest, type SessionObserver } from '../observe/session-observer.js';

export type PopState = 'authorization' | 'transaction';

/** Which state each command belongs to (RFC 1939, RFC 2449, RFC 2595, RFC 5034). */
const GATE: Record<string, PopState | 'any'> = {
  CAPA: 'any', QUIT: 'any',
  STLS: 'authorization', USER: 'authorization', PASS: 'authorization', AUTH: 'authorization', APOP: 'authorization',
  STAT: 'transaction', LIST: 'transaction', RETR: 'transaction', DELE: 'transaction', NOOP: 'transaction',
  RSET: 'transaction', TOP: 'transaction', UIDL: 'transaction',
};

/** Pending lines above which the connection stops reading until the queue drains. */
const MAX_QUEUED = 64;
/** Bad commands tolerated before login; then the connection is closed. */
const MAX_BAD_BEFORE_LOGIN = 10;
/** Longest SASL response line accepted while an AUTH exchange is under way, and longest AUTH
 * line before login: clients such as Thunderbird send a bearer token as the initial response. */
const MAX_SASL_LINE = 16 * 1024;

export interface SessionDeps {
  settings: () => PopSettings;
  auth: Authenticator;
  backend: () => Pop3Backend | null;
  logger: Logger;
  /** Protocol log and metrics; the session's `conn` should be observer.connection. */
  observer?: SessionObserver;
}

export class Pop3Session implements PopOutput {
  state: PopState = 'authorization';
  readonly log: Logger;
  private readonly framer: LineFramer;
  private queue: Frame[] = [];
  private running = false;
  private readPaused = false;
  private ended = false;
  private gone = false;
  private finalized = false;
  private stopping = false;
  private badCommands = 0;
  private txn: Pop3Transaction | null = null;
  private readonly login: LoginPhase;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(readonly conn: Connection, readonly deps: SessionDeps) {
    this.log = deps.logger.child({ session: conn.sessionId, service: 'pop3' });
    this.closedPromise = new Promise((resolve) => { this.resolveClosed = resolve; });
    this.login = new LoginPhase(this);
    this.framer = new LineFramer((head) => (this.login.saslActive || (this.state === 'authorization' && /^AUTH /i.test(head))
      ? Math.max(MAX_SASL_LINE, this.settings.maxCommandSize)
      : this.settings.maxCommandSize));
    conn.onClose(() => this.onClosed());
    conn.onData((chunk) => this.onData(chunk));
    this.armTimeout();
    this.log.info('connect', { client: conn.remoteAddress, port: conn.localPort, tls: conn.tlsMode });
    conn.write(`+OK ${this.settings.banner}\r\n`);
  }

  get settings(): PopSettings {
    return this.deps.settings();
  }

  /** Resolves once the connection is gone. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  // --- PopOutput ---
  write(data: string | Buffer): void {
    this.conn.write(data);
  }
  drained(): Promise<void> {
    return this.conn.drained();
  }
  close(finalWrite?: string): void {
    this.ended = true;
    this.queue = [];
    this.conn.close(finalWrite);
  }

  /** STLS: forget everything typed after it in cleartext (queued lines and a partial line). */
  discardPendingInput(): void {
    this.queue = [];
    this.framer.clear();
  }

  /** Called by the login phase once the backend has opened the maildrop. */
  enterTransaction(txn: Pop3Transaction): void {
    this.txn = txn;
    this.state = 'transaction';
    this.armTimeout();
  }

  /** Graceful stop: ends the session after the command in progress (if any). */
  shutdown(): Promise<void> {
    this.stopping = true;
    if (!this.running && !this.ended) this.close(errLine('Server shutting down, try again later', 'SYS/TEMP'));
    return this.closedPromise;
  }

  private armTimeout(): void {
    const s = this.settings;
    const seconds = this.state === 'transaction' ? s.authenticatedConnectionTimeout : s.preAuthenticatedConnectionTimeout;
    this.conn.setIdleTimeout(seconds * 1000, () => {
      this.log.info('idle-timeout', { state: this.state });
      this.close(errLine('Disconnected for inactivity'));
    });
  }

  private onData(chunk: Buffer): void {
    if (this.ended || this.gone) return;
    for (const frame of this.framer.feed(chunk)) this.queue.push(frame);
    if (this.queue.length > MAX_QUEUED && !this.readPaused) {
      this.readPaused = true;
      this.conn.pause();
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.ended) {
        const frame = this.queue.shift() as Frame;
        if (this.gone && !this.runsAfterDisconnect(frame)) continue;
        const req = frame.kind === 'line' ? popRequest(frame.line, this.login.saslActive) : { command: '', parameters: '', rqsize: 0 };
        const observed = this.deps.observer?.begin(req.command, req.parameters, req.rqsize);
        try {
          await this.handleFrame(frame);
        } finally {
          observed?.();
        }
        await this.conn.drained();
        if (this.readPaused && this.queue.length <= MAX_QUEUED / 2) {
          this.readPaused = false;
          this.conn.resume();
        }
      }
    } catch (err) {
      this.log.error('session-exception', { err: err instanceof Error ? err : new Error(String(err)) });
      this.close(errLine('Internal error, closing connection', 'SYS/TEMP'));
    } finally {
      this.running = false;
    }
    if (this.stopping && !this.ended) this.close(errLine('Server shutting down, try again later', 'SYS/TEMP'));
    if (this.gone) this.finalize();
  }

  /**
   * After the client has gone, a QUIT it sent (with the DELE/RSET before it) is still honoured,
   * as if it had waited for the replies; nothing else runs.
   */
  private runsAfterDisconnect(frame: Frame): boolean {
    if (this.state !== 'transaction' || frame.kind !== 'line') return false;
    const verb = parseCommand(frame.line)?.verb;
    return verb === 'DELE' || verb === 'RSET' || verb === 'QUIT';
  }

  private async handleFrame(frame: Frame): Promise<void> {
    if (frame.kind === 'too-long') {
      if (this.login.saslActive) {
        this.login.cancelSasl();
        this.write(errLine('Authentication response too long; AUTH cancelled', 'AUTH'));
        return;
      }
      this.write(errLine(`Command line too long (at most ${this.settings.maxCommandSize} octets)`));
      this.countBad();
      return;
    }
    if (this.login.saslActive) {
      await this.login.saslResponse(frame.line);
      return;
    }
    const cmd = parseCommand(frame.line);
    if (!cmd) {
      this.write(errLine('Empty command'));
      this.countBad();
      return;
    }
    this.log.debug('command', { verb: cmd.verb });
    await this.dispatch(cmd);
  }

  /** The state gate: decides before any handler runs whether the command may run now. */
  private async dispatch(cmd: PopCommand): Promise<void> {
    const allowed = GATE[cmd.verb];
    if (allowed === undefined) {
      this.write(errLine(`Unknown command: ${printable(cmd.verb)}`));
      this.countBad();
      return;
    }
    if (allowed !== 'any' && allowed !== this.state) {
      this.write(errLine(this.state === 'authorization'
        ? `${cmd.verb} is only valid after login`
        : `${cmd.verb} is not valid after login`));
      this.countBad();
      return;
    }
    if (cmd.verb === 'CAPA') {
      this.write(multiLine('Capability list follows', capabilities(this)));
      return;
    }
    if (this.state === 'transaction') {
      const txn = this.txn as Pop3Transaction;
      const outcome = await txn.execute(cmd, this);
      if (outcome === 'quit') this.close();
      return;
    }
    await this.login.execute(cmd);
  }

  private countBad(): void {
    if (this.state !== 'authorization') return;
    this.badCommands++;
    if (this.badCommands >= MAX_BAD_BEFORE_LOGIN) {
      this.log.info('too-many-bad-commands');
      this.close(errLine('Too many invalid commands, closing connection'));
    }
  }

  private onClosed(): void {
    this.gone = true;
    this.log.info('disconnect', { state: this.state });
    if (!this.running) this.finalize();
  }

  /** Once the connection is gone and no command runs: release the maildrop (no UPDATE unless QUIT ran). */
  private finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.ended = true;
    this.queue = [];
    const txn = this.txn;
    this.txn = null;
    const done = txn ? txn.abort() : Promise.resolve();
    done.catch((err: unknown) => this.log.warn('maildrop-release-failed', { err: err instanceof Error ? err : new Error(String(err)) }))
      .finally(() => this.resolveClosed());
  }
}

/** A keyword safe to echo back: printable ASCII, at most 20 characters. */
function printable(s: string): string {
  const clean = s.replace(/[^\x21-\x7e]/g, '?');
  return clean.length > 20 ? clean.slice(0, 20) + '...' : clean;
}
