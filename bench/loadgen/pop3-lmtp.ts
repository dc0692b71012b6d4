/**
 * Lean POP3 and LMTP clients for load generation (one command at a time, as POP3 clients do;
 * LMTP pipelines MAIL/RCPT/DATA, as MTAs do).
 */
import type * as net from 'node:net';
import { LineReader, openSocket, Waiters, type Endpoint } from './wire.js';

const TERMINATOR = Buffer.from('\r\n.\r\n');

/** POP3: single-line replies, and multi-line ones read to the final "." without keeping them. */
export class Pop3Client {
  private readonly lines = new Waiters<string>();
  private multi: { resolve: (bytes: number) => void; reject: (e: Error) => void; bytes: number; tail: Buffer } | null = null;
  private expectMultiFirst = false;
  private readonly reader: LineReader;
  bytesIn = 0;

  private constructor(private readonly sock: net.Socket) {
    this.reader = new LineReader((line) => this.lines.shift()?.resolve(line), false);
    sock.on('data', (d: Buffer) => this.data(d));
    const fail = (err: Error): void => {
      this.lines.failAll(err);
      this.multi?.reject(err);
      this.multi = null;
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('connection closed')));
  }

  static async connect(ep: Endpoint): Promise<Pop3Client> {
    const sock = await openSocket(ep);
    const c = new Pop3Client(sock);
    const greeting = await c.lines.push();
    if (!greeting.startsWith('+OK')) throw new Error(`unexpected greeting: ${greeting}`);
    return c;
  }

  private data(d: Buffer): void {
    this.bytesIn += d.length;
    const m = this.multi;
    if (!m) return this.reader.push(d);
    if (this.expectMultiFirst) {
      // the status line of a multi-line reply
      const nl = d.indexOf(10);
      if (nl < 0) {
        m.tail = Buffer.concat([m.tail, d]);
        return;
      }
      const first = Buffer.concat([m.tail, d.subarray(0, nl)]).toString('latin1');
      this.expectMultiFirst = false;
      m.tail = Buffer.from('\r\n');
      if (!first.startsWith('+OK')) {
        this.multi = null;
        m.reject(new Error(`POP3 error: ${first.trim()}`));
        return;
      }
      d = d.subarray(nl + 1);
    }
    m.bytes += d.length;
    // the terminator may straddle chunks: look at the last 4 bytes of before + this chunk
    const probe = m.tail.length ? Buffer.concat([m.tail, d.subarray(0, 5)]) : d;
    const done = probe.indexOf(TERMINATOR) >= 0 || d.indexOf(TERMINATOR) >= 0;
    m.tail = d.length >= 4 ? d.subarray(d.length - 4) : Buffer.concat([m.tail, d]).subarray(-4);
    if (done) {
      this.multi = null;
      m.resolve(m.bytes);
    }
  }

  async command(text: string): Promise<string> {
    const p = this.lines.push();
    this.sock.write(text + '\r\n');
    const line = await p;
    if (!line.startsWith('+OK')) throw new Error(`POP3 ${text.split(' ')[0]}: ${line}`);
    return line;
  }

  /** A multi-line command (RETR, LIST, UIDL): resolves the bytes of the body. */
  multiline(text: string): Promise<number> {
    const p = new Promise<number>((resolve, reject) => (this.multi = { resolve, reject, bytes: 0, tail: Buffer.alloc(0) }));
    this.expectMultiFirst = true;
    this.sock.write(text + '\r\n');
    return p;
  }

  async quit(): Promise<void> {
    try {
      await this.command('QUIT');
    } catch {
      /* gone */
    }
    this.sock.destroy();
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** LMTP: replies are read whole (multi-line "250-" continued until "250 "). */
export class LmtpClient {
  private readonly replies = new Waiters<string>();
  private partial = '';
  private readonly reader: LineReader;

  private constructor(private readonly sock: net.Socket) {
    this.reader = new LineReader((line) => {
      if (line.length >= 4 && line[3] === '-') {
        this.partial += line + '\n';
        return;
      }
      const reply = this.partial + line;
      this.partial = '';
      this.replies.shift()?.resolve(reply);
    }, false);
    sock.on('data', (d: Buffer) => this.reader.push(d));
    sock.on('error', (err) => this.replies.failAll(err));
    sock.on('close', () => this.replies.failAll(new Error('connection closed')));
  }

  static async connect(ep: Endpoint, hostname = 'bench.localhost'): Promise<LmtpClient> {
    const sock = await openSocket(ep);
    const c = new LmtpClient(sock);
    const greeting = await c.replies.push();
    if (!greeting.startsWith('220')) throw new Error(`unexpected LMTP greeting: ${greeting}`);
    const lhlo = c.replies.push();
    sock.write(`LHLO ${hostname}\r\n`);
    const r = await lhlo;
    if (!r.startsWith('250')) throw new Error(`LHLO refused: ${r}`);
    return c;
  }

  /** Delivers one message to the recipients (pipelined); resolves the per-recipient replies. */
  async deliver(from: string, to: string[], message: Buffer): Promise<string[]> {
    const mail = this.replies.push();
    const rcpts = to.map(() => this.replies.push());
    const data = this.replies.push();
    this.sock.write(`MAIL FROM:<${from}>\r\n${to.map((t) => `RCPT TO:<${t}>\r\n`).join('')}DATA\r\n`);
    const m = await mail;
    if (!m.startsWith('250')) throw new Error(`MAIL refused: ${m}`);
    const accepted: number[] = [];
    for (let i = 0; i < rcpts.length; i++) {
      const r = await rcpts[i];
      if (r.startsWith('250')) accepted.push(i);
    }
    const d = await data;
    if (!d.startsWith('354')) throw new Error(`DATA refused: ${d}`);
    const finals = accepted.map(() => this.replies.push());
    this.sock.write(Buffer.concat([dotStuff(message), Buffer.from('.\r\n')]));
    return Promise.all(finals);
  }

  async quit(): Promise<void> {
    const p = this.replies.push();
    this.sock.write('QUIT\r\n');
    try {
      await p;
    } catch {
      /* gone */
    }
    this.sock.destroy();
  }
}

/** Dot-stuffs a CRLF message and makes sure it ends with CRLF. */
export function dotStuff(message: Buffer): Buffer {
  let text = message.toString('latin1');
  if (text.startsWith('.')) text = '.' + text;
  text = text.replace(/\r\n\./g, '\r\n..');
  if (!text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(text, 'latin1');
}
