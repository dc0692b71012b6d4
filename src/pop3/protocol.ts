/**
 * Pure POP3 syntax: no sockets, no storage. A line framer with the max-command-size limit
 * enforced where bytes arrive, the command parser, reply formatting, and the byte-exact body
 * encoding RETR and TOP use (CRLF line ends, dot-stuffing, the terminating ".") together with
 * the matching size computation, so LIST/STAT and RETR can never disagree.
 */

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const DOT_BUF = Buffer.from('.');
/** How much of a line's start the framer's limit function sees. */
const HEAD_BYTES = 5;

export type Frame = { kind: 'line'; line: string } | { kind: 'too-long' };

/**
 * Splits input into command lines (CRLF, or a bare LF, ends a line). A line longer than the
 * limit (counted with its line end) yields one 'too-long' frame and is discarded up to its end,
 * without ever buffering more than the limit. The limit may depend on how the line starts (its
 * first HEAD_BYTES octets, given as latin1): an AUTH line may carry a long initial response.
 */
export class LineFramer {
  private buf: Buffer[] = [];
  private buffered = 0;
  private discarding = false;
  private head = '';

  constructor(private readonly maxLine: (head: string) => number) {}

  feed(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf < 0 ? chunk.length : lf + 1;
      const piece = chunk.subarray(start, end);
      start = end;
      if (this.discarding) {
        if (lf >= 0) this.discarding = false;
        continue;
      }
      if (this.head.length < HEAD_BYTES) this.head += piece.subarray(0, HEAD_BYTES - this.head.length).toString('latin1');
      const limit = this.maxLine(this.head);
      if (this.buffered + piece.length > limit) {
        // Over the limit: report once, drop what we hold, skip to the line end.
        frames.push({ kind: 'too-long' });
        this.buf = [];
        this.buffered = 0;
        this.head = '';
        this.discarding = lf < 0;
        continue;
      }
      this.buf.push(piece);
      this.buffered += piece.length;
      if (lf >= 0) {
        const whole = this.buf.length === 1 ? this.buf[0] : Buffer.concat(this.buf);
        this.buf = [];
        this.buffered = 0;
        this.head = '';
        let n = whole.length - 1;
        if (n > 0 && whole[n - 1] === CR) n--;
        frames.push({ kind: 'line', line: whole.subarray(0, n).toString('utf8') });
      }
    }
    return frames;
  }

  /** Forgets any partial line (STLS: nothing typed before the upgrade may run after it). */
  clear(): void {
    this.buf = [];
    this.buffered = 0;
    this.head = '';
    this.discarding = false;
  }
}

export interface PopCommand {
  /** Upper-cased keyword, e.g. "RETR". */
  verb: string;
  args: string[];
  /** Everything after the keyword and one space, as typed (PASS allows spaces in passwords). */
  rest: string;
}

/** Parses a command line; null for an empty line. */
export function parseCommand(line: string): PopCommand | null {
  const trimmed = line.replace(/^[ \t]+/, '');
  if (trimmed === '') return null;
  const sp = trimmed.search(/[ \t]/);
  const verb = (sp < 0 ? trimmed : trimmed.slice(0, sp)).toUpperCase();
  const rest = sp < 0 ? '' : trimmed.slice(sp + 1);
  const args = rest.split(/[ \t]+/).filter((a) => a !== '');
  return { verb, args, rest };
}

/** Parses a message number or line count argument: digits only, no sign, within range. */
export function parseNumber(arg: string | undefined, max = 0x7fffffff): number | null {
  if (arg === undefined || !/^\d{1,10}$/.test(arg)) return null;
  const n = Number(arg);
  return n <= max ? n : null;
}

/** Strict base64 (RFC 4648, padding required); null when malformed. "=" alone is empty. */
export function decodeBase64Strict(text: string): Buffer | null {
  const s = text.trim();
  if (s === '=') return Buffer.alloc(0);
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}

/** Response codes of RFC 2449 / RFC 3206 this server uses. */
export type PopRespCode = 'AUTH' | 'SYS/TEMP' | 'SYS/PERM' | 'IN-USE' | 'LOGIN-DELAY';

export function okLine(text: string): string {
  return `+OK${text ? ' ' + text : ''}\r\n`;
}

export function errLine(text: string, code?: PopRespCode): string {
  return `-ERR ${code ? `[${code}] ` : ''}${text}\r\n`;
}

/** A multi-line reply: "+OK text", the lines (dot-stuffed), ".". */
export function multiLine(text: string, lines: string[]): string {
  const body = lines.map((l) => (l.startsWith('.') ? '.' + l : l) + '\r\n').join('');
  return okLine(text) + body + '.\r\n';
}

/**
 * Counts the octets RETR sends for a message, before dot-stuffing and without the terminator:
 * every bare LF becomes CRLF. A message with only CRLF line ends counts its stored size.
 */
export class PopSizeCounter {
  private total = 0;
  private prevCR = false;

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let i = chunk.indexOf(LF);
    while (i >= 0) {
      const before = i > 0 ? chunk[i - 1] === CR : this.prevCR;
      if (!before) this.total++;
      i = chunk.indexOf(LF, i + 1);
    }
    if (chunk.length > 0) this.prevCR = chunk[chunk.length - 1] === CR;
  }

  get size(): number {
    return this.total;
  }
}

export function popSize(raw: Buffer): number {
  const c = new PopSizeCounter();
  c.push(raw);
  return c.size;
}

/**
 * Encodes a message for a multi-line reply, chunk by chunk: bare LF -> CRLF, a "." at the start
 * of a line doubled, and on end() a line end if the message lacked a final one, then ".".
 */
export class PopBodyEncoder {
  private atLineStart = true;
  private prevCR = false;
  private sentAny = false;

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    const out: Buffer[] = [];
    let start = 0;
    if (this.atLineStart && chunk[0] === DOT) out.push(DOT_BUF);
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        out.push(chunk.subarray(start));
        break;
      }
      const hasCR = lf > 0 ? chunk[lf - 1] === CR : this.prevCR;
      if (hasCR) {
        out.push(chunk.subarray(start, lf + 1));
      } else {
        out.push(chunk.subarray(start, lf), CRLF);
      }
      start = lf + 1;
      if (start >= chunk.length) break;
      if (chunk[start] === DOT) out.push(DOT_BUF);
    }
    const last = chunk[chunk.length - 1];
    this.atLineStart = last === LF;
    this.prevCR = last === CR;
    this.sentAny = true;
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  end(): Buffer {
    return Buffer.from(this.sentAny && !this.atLineStart ? '\r\n.\r\n' : '.\r\n');
  }
}

/**
 * Cuts a message for TOP n k: the header, the blank line after it, and the first k lines of the
 * body. Finds the header end itself (first empty line, CRLF or bare LF), so it works on any
 * stored message while streaming. push() returns what to send and whether the cut is reached.
 */
export class TopLimiter {
  private inBody = false;
  private lineLen = 0; // bytes of the current header line so far (excluding CR/LF)
  private bodyLines = 0;
  private finished = false;

  constructor(private readonly maxBodyLines: number) {}

  get done(): boolean {
    return this.finished;
  }

  push(chunk: Buffer): Buffer {
    if (this.finished) return Buffer.alloc(0);
    let i = 0;
    if (this.inBody && this.maxBodyLines === 0) {
      this.finished = true;
      return Buffer.alloc(0);
    }
    while (i < chunk.length) {
      const b = chunk[i];
      i++;
      if (!this.inBody) {
        if (b === LF) {
          if (this.lineLen === 0) {
            this.inBody = true;
            if (this.maxBodyLines === 0) {
              this.finished = true;
              return chunk.subarray(0, i);
            }
          }
          this.lineLen = 0;
        } else if (b !== CR) {
          this.lineLen++;
        }
      } else {
        const lf = chunk.indexOf(LF, i - 1);
        if (lf < 0) return chunk;
        i = lf + 1;
        this.bodyLines++;
        if (this.bodyLines >= this.maxBodyLines) {
          this.finished = true;
          return chunk.subarray(0, i);
        }
      }
    }
    return chunk;
  }
}
