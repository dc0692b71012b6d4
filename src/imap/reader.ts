/**
 * Pulls framed commands off a connection: framer + flow control. Used by the frontend (login)
 * and the backend session alike; the backend takes over the bytes the frontend had buffered.
 */
import type { Connection } from '../net/types.js';
import { ImapFramer, type FrameResult, type FramerLimits } from './protocol/framer.js';

/** Input buffered beyond this (outside a literal) pauses the connection until it is consumed. */
const PAUSE_ABOVE = 256 * 1024;

export class CommandReader {
  private readonly framer: ImapFramer;
  private waiter: (() => void) | null = null;
  private ended = false;
  private paused = false;

  constructor(private readonly conn: Connection, limits: FramerLimits, private readonly onContinue: (size: number) => void) {
    this.framer = new ImapFramer(limits);
  }

  setLimits(limits: FramerLimits): void {
    this.framer.setLimits(limits);
  }

  feed(chunk: Buffer): void {
    this.framer.push(chunk);
    if (!this.paused && this.framer.bufferedBytes() > PAUSE_ABOVE && !this.framer.inCommand()) {
      this.paused = true;
      this.conn.pause();
    }
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The next framed command, error or null when the connection is gone. */
  async next(): Promise<Exclude<FrameResult, { kind: 'continue' }> | null> {
    for (;;) {
      if (this.ended) return null;
      const r = this.framer.take();
      if (r && r.kind === 'continue') {
        this.onContinue(r.size);
        continue;
      }
      if (r) return r;
      if (this.paused) {
        this.paused = false;
        this.conn.resume();
      }
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }

  /** Everything buffered and not yet taken (for the backend hand-off). */
  drain(): Buffer {
    return this.framer.drain();
  }

  /** Drops buffered input (STARTTLS: pipelined cleartext is never executed). */
  discard(): void {
    this.framer.discard();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
