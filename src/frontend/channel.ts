/**
 * One hand-off channel over TLS: FramedSocket (frames in both directions, pull or push), the
 * frontend's side of the opening (connect, prove the secret, check the backend's proof, send
 * the header, read the answer) and the backend's side (check the frontend's proof first, then
 * prove, then read the header). Nothing is read from a peer before its proof has verified.
 */
import * as tls from 'node:tls';
import { FrameDecoder, encodeData, encodeFrame, encodeJson, parseJsonFrame, type Frame, type FrameType } from './frames.js';
import { proof, sessionKeyingMaterial, verifyProof } from './secret.js';
import type { HandoffHeader } from './header.js';

export class FramedSocket {
  private readonly decoder = new FrameDecoder();
  private queue: Frame[] = [];
  private waiter: ((f: Frame | null) => void) | null = null;
  private handler: ((f: Frame) => void) | null = null;
  private closeHandlers: Array<() => void> = [];
  private isClosed = false;

  constructor(readonly socket: tls.TLSSocket) {
    // A peer that vanishes without a FIN (a dead node, a partition) is noticed eventually.
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.feed(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) this.deliver(f);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.isClosed = true;
      this.waiter?.(null);
      this.waiter = null;
      const hs = this.closeHandlers;
      this.closeHandlers = [];
      hs.forEach((h) => h());
    });
  }

  get closed(): boolean { return this.isClosed; }

  private deliver(f: Frame): void {
    if (this.handler) this.handler(f);
    else if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(f);
    } else this.queue.push(f);
  }

  /** The next frame; null when the socket closed or the time ran out (the socket is then destroyed). */
  next(timeoutMs = 0): Promise<Frame | null> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = timeoutMs > 0 ? setTimeout(() => { this.waiter = null; this.socket.destroy(); resolve(null); }, timeoutMs) : null;
      this.waiter = (f) => { if (timer) clearTimeout(timer); resolve(f); };
    });
  }

  /** Push mode: every frame (queued ones first) goes to the handler. */
  onFrame(handler: (f: Frame) => void): void {
    this.handler = handler;
    const q = this.queue;
    this.queue = [];
    q.forEach((f) => handler(f));
  }

  onClose(handler: () => void): void {
    if (this.isClosed) queueMicrotask(handler);
    else this.closeHandlers.push(handler);
  }

  /** Sends a frame; false when the socket's buffer is above its high-water mark. */
  send(type: FrameType, payload: Buffer | string): boolean {
    if (this.isClosed || this.socket.destroyed) return false;
    return this.socket.write(encodeFrame(type, payload));
  }
  sendJson(value: unknown): boolean {
    if (this.isClosed || this.socket.destroyed) return false;
    return this.socket.write(encodeJson(value));
  }
  sendData(data: Buffer | string): boolean {
    let ok = true;
    if (this.isClosed || this.socket.destroyed) return false;
    for (const f of encodeData(data)) ok = this.socket.write(f);
    return ok;
  }

  drained(): Promise<void> {
    const s = this.socket;
    if (this.isClosed || s.destroyed || !s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => { s.removeListener('drain', done); s.removeListener('close', done); resolve(); };
      s.once('drain', done);
      s.once('close', done);
    });
  }

  end(): void { if (!this.socket.destroyed) this.socket.end(); }
  destroy(): void { this.socket.destroy(); }
}

export interface BackendAddress {
  host: string;
  port: number;
}

/**
 * Why a channel could not be opened: CONNECT (TCP/TLS), PROOF (the backend did not prove the
 * secret), REFUSED (the backend closed the channel: untrusted address or wrong secret), ANSWER
 * (the backend answered the header with ok:false; `answerCode` says why, e.g. INUSE).
 */
export class HandoffError extends Error {
  constructor(readonly code: 'CONNECT' | 'PROOF' | 'REFUSED' | 'ANSWER', message: string, readonly answerCode = '') {
    super(message);
  }
}

export interface OpenChannelOptions {
  target: BackendAddress;
  secret: Buffer;
  header: HandoffHeader;
  /** Whole opening (TCP, TLS, proofs, answer); default 5 s. */
  timeoutMs?: number;
  /** Local address to connect from (tests). */
  localAddress?: string;
}

/** Frontend side: a channel whose header the backend accepted, with the backend's answer. */
export async function openChannel(opts: OpenChannelOptions): Promise<{ channel: FramedSocket; answer: Record<string, unknown> }> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
    // The peer's certificate chain is not checked: the secret proofs bound to this session are
    // the authentication (both ends prove it, so a relaying man in the middle fails).
    const s = tls.connect({ host: opts.target.host, port: opts.target.port, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const timer = setTimeout(() => { s.destroy(); reject(new HandoffError('CONNECT', 'timed out connecting')); }, timeoutMs);
    s.once('secureConnect', () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s); });
    s.once('error', (err) => { clearTimeout(timer); s.destroy(); reject(new HandoffError('CONNECT', err.message)); });
    s.once('close', () => { clearTimeout(timer); reject(new HandoffError('CONNECT', 'connection closed during TLS handshake')); });
  });
  const channel = new FramedSocket(socket);
  try {
    const km = sessionKeyingMaterial(socket);
    channel.send('P', proof(opts.secret, 'frontend', km));
    const theirs = await channel.next(Math.max(1, deadline - Date.now()));
    if (!theirs) throw new HandoffError('REFUSED', 'backend closed the channel (not a trusted frontend, or wrong secret)');
    if (theirs.type !== 'P' || !verifyProof(opts.secret, 'backend', km, theirs.payload)) throw new HandoffError('PROOF', 'backend did not prove the cluster secret');
    channel.sendJson(opts.header);
    const answerFrame = await channel.next(Math.max(1, deadline - Date.now()));
    if (!answerFrame) throw new HandoffError('REFUSED', 'backend closed the channel after the header');
    const answer = parseJsonFrame(answerFrame);
    if (answer.ok !== true) {
      throw new HandoffError('ANSWER', typeof answer.error === 'string' ? answer.error : 'backend refused the session', typeof answer.code === 'string' ? answer.code : 'UNAVAILABLE');
    }
    return { channel, answer };
  } catch (err) {
    channel.destroy();
    throw err instanceof HandoffError ? err : new HandoffError('REFUSED', (err as Error).message);
  }
}

/**
 * Backend side, on a TLS socket from a trusted address: checks the frontend's proof, proves
 * in turn, reads the header frame. Null (socket destroyed) when anything is wrong.
 */
export async function acceptChannel(socket: tls.TLSSocket, secret: Buffer, timeoutMs = 5000): Promise<{ channel: FramedSocket; header: Record<string, unknown> } | { channel: null; reason: string }> {
  const channel = new FramedSocket(socket);
  const deadline = Date.now() + timeoutMs;
  let km: Buffer;
  try {
    km = sessionKeyingMaterial(socket);
  } catch {
    channel.destroy();
    return { channel: null, reason: 'no keying material (TLS 1.3 required)' };
  }
  const theirs = await channel.next(timeoutMs);
  if (!theirs || theirs.type !== 'P' || !verifyProof(secret, 'frontend', km, theirs.payload)) {
    channel.destroy();
    return { channel: null, reason: theirs ? 'wrong proof of the cluster secret' : 'no proof in time' };
  }
  channel.send('P', proof(secret, 'backend', km));
  const h = await channel.next(Math.max(1, deadline - Date.now()));
  if (!h) return { channel: null, reason: 'no header in time' };
  try {
    return { channel, header: parseJsonFrame(h) };
  } catch (err) {
    channel.destroy();
    return { channel: null, reason: (err as Error).message };
  }
}
