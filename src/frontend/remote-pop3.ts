/**
 * A Pop3Backend that is another node: openMaildrop() opens a hand-off channel (the backend
 * locks and snapshots the maildrop, answering count/octets or INUSE), and each TRANSACTION
 * command is one J request answered by D frames (the reply, written to the client as they come,
 * with backpressure) and an E frame ('continue' | 'quit'). A channel that dies mid-session
 * ends the client's session with -ERR [SYS/TEMP]; nothing is deleted (the backend releases the
 * lock without an UPDATE).
 */
import { MailError } from '../core/errors.js';
import type { Pop3Backend, Pop3Transaction, PopOutput, MaildropRequest } from '../pop3/types.js';
import type { PopCommand } from '../pop3/protocol.js';
import { errLine } from '../pop3/protocol.js';
import { HandoffError, type FramedSocket } from './channel.js';
import { headerFor, type BackendDialer } from './dialer.js';
import type { Frame } from './frames.js';

export const POP_BACKEND_LOST = errLine('Backend unavailable, please reconnect', 'SYS/TEMP');

export interface RemotePop3Backend extends Pop3Backend {
  readonly dialer: BackendDialer;
}

/** The header carries the client's address and TLS facts when the request names its connection. */
export function createRemotePop3Backend(deps: { dialer: BackendDialer }): RemotePop3Backend {
  return {
    dialer: deps.dialer,
    async openMaildrop(req: MaildropRequest): Promise<Pop3Transaction> {
      const conn = req.client;
      const header = conn
        ? headerFor('pop3', conn, req.account.address, '')
        : { protocol: 'pop3' as const, account: req.account.address, mechanism: '', clientAddress: '', clientPort: 0, tlsMode: 'none' as const, tls: null, sessionId: req.sessionId };
      let opened;
      try {
        opened = await deps.dialer.dial(header, req.account.backend);
      } catch (err) {
        const e = err as HandoffError;
        if (e instanceof HandoffError && e.answerCode === 'INUSE') throw new MailError('INUSE', 'maildrop in use');
        req.logger.warn('pop3-handoff-failed', { reason: e.message });
        throw new MailError('UNAVAILABLE', 'no backend available', { cause: err });
      }
      const { channel, answer } = opened;
      return new RemoteTransaction(channel, Number(answer.count) || 0, Number(answer.octets) || 0);
    },
  };
}

class RemoteTransaction implements Pop3Transaction {
  private waiting: ((f: Frame | null) => void) | null = null;
  private readonly queue: Frame[] = [];
  private gone = false;

  constructor(private readonly channel: FramedSocket, readonly count: number, readonly octets: number) {
    channel.onFrame((f) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(f);
      } else this.queue.push(f);
    });
    channel.onClose(() => {
      this.gone = true;
      const w = this.waiting;
      this.waiting = null;
      w?.(null);
    });
  }

  private next(): Promise<Frame | null> {
    const f = this.queue.shift();
    if (f) return Promise.resolve(f);
    if (this.gone) return Promise.resolve(null);
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  async execute(cmd: PopCommand, out: PopOutput): Promise<'continue' | 'quit'> {
    if (this.gone) {
      out.close(POP_BACKEND_LOST);
      return 'quit';
    }
    this.channel.sendJson({ op: 'execute', verb: cmd.verb, args: cmd.args, rest: cmd.rest });
    let wrote = false;
    for (;;) {
      const f = await this.next();
      if (!f) {
        // Mid-reply the framing towards the client is lost: close without another line.
        out.close(wrote ? undefined : POP_BACKEND_LOST);
        return 'quit';
      }
      if (f.type === 'D') {
        wrote = true;
        out.write(f.payload);
        this.channel.socket.pause();
        await out.drained();
        this.channel.socket.resume();
        continue;
      }
      if (f.type === 'E') {
        const what = f.payload.toString('utf8');
        if (what === 'continue' || what === 'quit') return what;
        out.close(wrote ? undefined : errLine('Internal error, closing connection', 'SYS/TEMP'));
        return 'quit';
      }
    }
  }

  async abort(): Promise<void> {
    if (this.gone) return;
    this.channel.sendJson({ op: 'abort' });
    this.channel.end();
  }
}
