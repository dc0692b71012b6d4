/**
 * The wire format of the frontend→backend hand-off channel (inside internal TLS): a stream of
 * frames, each `type (1 octet) | length (4 octets, big-endian) | payload`. Types:
 *   P  proof of the cluster secret bound to this TLS session (32 octets, HMAC-SHA256)
 *   J  one JSON object (the hand-off header, its answer, a POP3 request)
 *   D  data: bytes of the client's stream (IMAP) or of a POP3 reply
 *   E  end: of a POP3 reply ('continue' | 'quit' | 'error'), or of an IMAP session ('bye')
 * Pure: no sockets. The decoder is fed bytes in any split and never buffers more than one
 * frame of at most `maxFrame` octets.
 */

export type FrameType = 'P' | 'J' | 'D' | 'E';
const TYPES = new Set<number>(['P', 'J', 'D', 'E'].map((c) => c.charCodeAt(0)));

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

/** Largest payload accepted (D payloads are split to at most DATA_CHUNK when sent). */
export const MAX_FRAME = 1024 * 1024;
export const DATA_CHUNK = 64 * 1024;

export class FrameError extends Error {}

export function encodeFrame(type: FrameType, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** D frames for any amount of data (split into DATA_CHUNK pieces). */
export function encodeData(data: Buffer | string): Buffer[] {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += DATA_CHUNK) out.push(encodeFrame('D', buf.subarray(i, i + DATA_CHUNK)));
  return out;
}

export function encodeJson(value: unknown): Buffer {
  return encodeFrame('J', JSON.stringify(value));
}

export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrame = MAX_FRAME) {}

  /** Frames completed by this chunk; throws FrameError on an unknown type or an oversized frame. */
  feed(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 5) {
      const t = this.buf[0]!;
      if (!TYPES.has(t)) throw new FrameError(`unknown frame type 0x${t.toString(16)}`);
      const len = this.buf.readUInt32BE(1);
      if (len > this.maxFrame) throw new FrameError(`frame of ${len} octets is larger than ${this.maxFrame}`);
      if (this.buf.length < 5 + len) break;
      frames.push({ type: String.fromCharCode(t) as FrameType, payload: Buffer.from(this.buf.subarray(5, 5 + len)) });
      this.buf = this.buf.subarray(5 + len);
    }
    return frames;
  }

  /** Octets held of an incomplete frame. */
  get pending(): number {
    return this.buf.length;
  }
}

/** The JSON object of a J frame, or a FrameError. */
export function parseJsonFrame(frame: Frame): Record<string, unknown> {
  if (frame.type !== 'J') throw new FrameError(`expected a J frame, got ${frame.type}`);
  let v: unknown;
  try {
    v = JSON.parse(frame.payload.toString('utf8'));
  } catch {
    throw new FrameError('J frame is not JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new FrameError('J frame is not a JSON object');
  return v as Record<string, unknown>;
}
