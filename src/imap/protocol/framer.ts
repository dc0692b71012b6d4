/**
 * Incremental IMAP command framer. Fed arbitrary chunks; hands out complete commands (the line
 * parts and the literals between them). Limits are enforced before bytes are buffered:
 * - a command line longer than maxLineSize is skipped up to its end and reported (non-fatal);
 * - a synchronising literal over maxLiteralSize is refused before any "+" is sent: the caller
 *   replies NO, and whatever is already buffered is dropped (a client that waits for "+" cannot
 *   have sent more), so the literal's bytes are never run as commands;
 * - a non-synchronising literal over the limit is fatal (its bytes are on their way).
 * Framing is pulled by the consumer (take()), so "+" continuation requests are only issued when
 * no other command is in progress.
 */

export interface FramerLimits {
  /** Longest command text (sum of its lines, literals excluded). */
  maxLineSize: number;
  /** Largest single literal; also bounds the literals of one command together. */
  maxLiteralSize: number;
}

export interface FramedCommand {
  kind: 'command';
  /** Line parts, without CRLF and without the trailing literal marker. */
  parts: Buffer[];
  /** literals[i] follows parts[i]; parts.length === literals.length + 1. */
  literals: Buffer[];
}

export type FrameResult =
  | FramedCommand
  /** A synchronising literal was accepted: write "+ ..." and call take() again as data comes. */
  | { kind: 'continue'; size: number }
  | { kind: 'error'; tag: string | null; reason: 'line-too-long' | 'literal-too-big'; fatal: boolean; message: string };

const LITERAL_MARKER = /\{(\d{1,12})(\+?)\}$/;

export class ImapFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private parts: Buffer[] = [];
  private literals: Buffer[] = [];
  private commandBytes = 0;
  private literalBytes = 0;
  /** Bytes of the current literal still needed, or -1 when reading a line. */
  private literalNeed = -1;
  private continued = false;
  /** Skipping an over-long line until its LF; keeps the line's first and last bytes. */
  private skipping: { head: Buffer; tail: Buffer } | null = null;

  constructor(private limits: FramerLimits) {}

  setLimits(limits: FramerLimits): void {
    this.limits = limits;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  bufferedBytes(): number {
    return this.buffered;
  }

  /** True when part of a command has been read. */
  inCommand(): boolean {
    return this.parts.length > 0 || this.literalNeed >= 0 || this.skipping !== null;
  }

  /** Removes and returns every unconsumed byte (for a hand-off), resetting command state. */
  drain(): Buffer {
    const out = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    this.resetCommand();
    return out;
  }

  /** Drops everything buffered and any half-read command (STARTTLS). */
  discard(): void {
    this.drain();
  }

  take(): FrameResult | null {
    for (;;) {
      if (this.literalNeed >= 0) {
        if (!this.continued && this.needsContinue) {
          this.continued = true;
          return { kind: 'continue', size: this.literalNeed };
        }
        if (this.buffered < this.literalNeed) return null;
        this.literals.push(this.consume(this.literalNeed));
        this.literalNeed = -1;
        continue;
      }
      const lf = this.findLf();
      if (this.skipping) {
        if (lf < 0) {
          this.skipRetain(this.consume(this.buffered));
          return null;
        }
        this.skipRetain(this.consume(lf + 1));
        return this.finishSkip();
      }
      if (lf < 0) {
        if (this.commandBytes + this.buffered > this.limits.maxLineSize) {
          this.skipping = { head: this.parts[0] ?? Buffer.alloc(0), tail: Buffer.alloc(0) };
          this.skipRetain(this.consume(this.buffered));
        }
        return null;
      }
      if (this.commandBytes + lf > this.limits.maxLineSize + 1) {
        this.skipping = { head: this.parts[0] ?? Buffer.alloc(0), tail: Buffer.alloc(0) };
        continue;
      }
      let line = this.consume(lf + 1).subarray(0, lf);
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      this.commandBytes += line.length;
      const marker = LITERAL_MARKER.exec(latinTail(line));
      if (!marker) {
        this.parts.push(line);
        const cmd: FramedCommand = { kind: 'command', parts: this.parts, literals: this.literals };
        this.resetCommand();
        return cmd;
      }
      const size = Number(marker[1]);
      const sync = marker[2] !== '+';
      const tag = tagOf(this.parts[0] ?? line);
      if (size > this.limits.maxLiteralSize || this.literalBytes + size > this.limits.maxLiteralSize) {
        this.resetCommand();
        const message = `Literal of ${size} octets is over the limit of ${this.limits.maxLiteralSize}`;
        if (sync) {
          // Nothing after this line can legitimately be here yet: drop it.
          this.drain();
          return { kind: 'error', tag, reason: 'literal-too-big', fatal: false, message };
        }
        return { kind: 'error', tag, reason: 'literal-too-big', fatal: true, message };
      }
      this.parts.push(line.subarray(0, line.length - marker[0].length));
      this.literalBytes += size;
      this.literalNeed = size;
      this.continued = false;
      this.needsContinue = sync;
    }
  }

  private needsContinue = false;

  private resetCommand(): void {
    this.parts = [];
    this.literals = [];
    this.commandBytes = 0;
    this.literalBytes = 0;
    this.literalNeed = -1;
    this.continued = false;
    this.needsContinue = false;
    this.skipping = null;
  }

  private skipRetain(bytes: Buffer): void {
    const s = this.skipping!;
    if (s.head.length < 64) s.head = Buffer.concat([s.head, bytes.subarray(0, 64 - s.head.length)]);
    s.tail = Buffer.concat([s.tail, bytes]).subarray(-32);
  }

  private finishSkip(): FrameResult {
    const s = this.skipping!;
    let tail = s.tail;
    if (tail.length && tail[tail.length - 1] === 0x0a) tail = tail.subarray(0, tail.length - 1);
    if (tail.length && tail[tail.length - 1] === 0x0d) tail = tail.subarray(0, tail.length - 1);
    const marker = LITERAL_MARKER.exec(latinTail(tail));
    const tag = tagOf(s.head);
    this.resetCommand();
    const fatal = marker !== null && marker[2] === '+';
    return { kind: 'error', tag, reason: 'line-too-long', fatal, message: `Command line is over the limit of ${this.limits.maxLineSize} octets` };
  }

  private findLf(): number {
    let offset = 0;
    for (const c of this.chunks) {
      const i = c.indexOf(0x0a);
      if (i >= 0) return offset + i;
      offset += c.length;
    }
    return -1;
  }

  private consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const taken: Buffer[] = [];
      let need = n;
      while (need > 0) {
        const c = this.chunks[0];
        if (c.length <= need) {
          taken.push(c);
          this.chunks.shift();
          need -= c.length;
        } else {
          taken.push(c.subarray(0, need));
          this.chunks[0] = c.subarray(need);
          need = 0;
        }
      }
      out = Buffer.concat(taken, n);
    }
    this.buffered -= n;
    return out;
  }
}

function latinTail(line: Buffer): string {
  return line.subarray(Math.max(0, line.length - 20)).toString('latin1');
}

/** The tag of a command line, when it looks like one. */
export function tagOf(line: Buffer): string | null {
  const sp = line.indexOf(0x20);
  const t = line.subarray(0, sp < 0 ? Math.min(line.length, 64) : Math.min(sp, 64)).toString('latin1');
  return /^[\x21-\x7e]+$/.test(t) && !/[(){%*"\\+]/.test(t) ? t : null;
}
