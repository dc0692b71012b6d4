/**
 * A lean IMAP client for load generation: tagged commands (pipelining allowed), LITERAL+ APPEND,
 * IDLE, and just enough response parsing (SEARCH, APPENDUID, EXISTS) to drive a workload.
 */
import type * as net from 'node:net';
import { LineReader, openSocket, type Endpoint } from './wire.js';

export interface ImapResult {
  tag: string;
  ok: boolean;
  /** The tagged line, e.g. "T3 OK [APPENDUID 1 42] done". */
  status: string;
  /** Untagged lines received while the command ran (first segments only). */
  untagged: string[];
}

interface Pending {
  resolve: (r: ImapResult) => void;
  reject: (e: Error) => void;
  untagged: string[];
  keep: boolean;
}

export class ImapClient {
  private seq = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly order: string[] = [];
  private continuation: (() => void) | null = null;
  private greeting: ((line: string) => void) | null = null;
  private readonly reader: LineReader;
  private closed = false;
  /** Called for every untagged line (e.g. IDLE's "* 5 EXISTS"). */
  onUntagged: ((line: string) => void) | null = null;

  private constructor(private readonly sock: net.Socket) {
    this.reader = new LineReader((line, afterLiteral) => this.line(line, afterLiteral), true);
    sock.on('data', (d: Buffer) => this.reader.push(d));
    const fail = (err: Error): void => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('connection closed')));
  }

  static async connect(ep: Endpoint): Promise<ImapClient> {
    const sock = await openSocket(ep);
    const c = new ImapClient(sock);
    const greeting = await new Promise<string>((resolve, reject) => {
      c.greeting = resolve;
      sock.once('close', () => reject(new Error('closed before greeting')));
    });
    if (!greeting.startsWith('* OK')) {
      sock.destroy();
      throw new Error(`unexpected greeting: ${greeting}`);
    }
    return c;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get bytesIn(): number {
    return this.reader.bytes;
  }

  private line(line: string, afterLiteral: boolean): void {
    if (this.greeting) {
      const g = this.greeting;
      this.greeting = null;
      g(line);
      return;
    }
    if (afterLiteral) return; // the rest of a response that carried a literal
    if (line.startsWith('* ')) {
      const cur = this.order.length ? this.pending.get(this.order[0]) : undefined;
      if (cur?.keep) cur.untagged.push(line);
      this.onUntagged?.(line);
      return;
    }
    if (line.startsWith('+')) {
      const c = this.continuation;
      this.continuation = null;
      c?.();
      return;
    }
    const sp = line.indexOf(' ');
    const tag = sp > 0 ? line.slice(0, sp) : line;
    const p = this.pending.get(tag);
    if (!p) return;
    this.pending.delete(tag);
    const i = this.order.indexOf(tag);
    if (i >= 0) this.order.splice(i, 1);
    p.resolve({ tag, ok: line.startsWith('OK', sp + 1), status: line, untagged: p.untagged });
  }

  private send(data: string | Buffer[], keep: boolean): Promise<ImapResult> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const tag = `T${++this.seq}`;
    const promise = new Promise<ImapResult>((resolve, reject) => {
      this.pending.set(tag, { resolve, reject, untagged: [], keep });
      this.order.push(tag);
    });
    if (typeof data === 'string') this.sock.write(`${tag} ${data}\r\n`);
    else {
      this.sock.cork();
      this.sock.write(`${tag} `);
      for (const d of data) this.sock.write(d);
      this.sock.uncork();
    }
    return promise;
  }

  /** Runs a command; `keep` collects its untagged lines (SEARCH results, FETCH UIDs). */
  command(text: string, keep = false): Promise<ImapResult> {
    return this.send(text, keep);
  }

  /** APPEND with a non-synchronising literal (LITERAL+, which both servers announce). */
  append(mailbox: string, flags: string, message: Buffer): Promise<ImapResult> {
    return this.send([Buffer.from(`APPEND ${mailbox} (${flags}) {${message.length}+}\r\n`), message, Buffer.from('\r\n')], false);
  }

  /** IDLE until an untagged response arrives or `ms` passes, then DONE; resolves the tagged reply. */
  async idle(ms: number, until?: (line: string) => boolean): Promise<ImapResult> {
    const entered = new Promise<void>((resolve) => (this.continuation = resolve));
    const done = this.send('IDLE', false);
    await Promise.race([entered, done.then(() => undefined, () => undefined)]);
    await new Promise<void>((resolve) => {
      const prev = this.onUntagged;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.onUntagged = prev;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.onUntagged = (line) => {
        prev?.(line);
        if (!until || until(line)) finish();
      };
      done.then(finish, finish);
    });
    if (!this.closed) this.sock.write('DONE\r\n');
    return done;
  }

  /** LOGOUT and close; never throws. */
  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT');
    } catch {
      /* already gone */
    }
    this.destroy();
  }

  destroy(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

/** UIDs from "* SEARCH 1 2 3" lines. */
export function searchUids(r: ImapResult): number[] {
  const out: number[] = [];
  for (const l of r.untagged) {
    if (!l.startsWith('* SEARCH')) continue;
    for (const t of l.slice(8).trim().split(' ')) if (t) out.push(Number(t));
  }
  return out;
}

/** The UID of an APPEND from its [APPENDUID v uid] code, or null. */
export function appendUid(r: ImapResult): number | null {
  const m = /\[APPENDUID \d+ (\d+)\]/i.exec(r.status);
  return m ? Number(m[1]) : null;
}

/** IMAP quoted string. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}
