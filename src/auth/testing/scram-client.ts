/**
 * Test support: a SCRAM-SHA-256(-PLUS) client written from RFC 5802/7677, independent of the
 * server code (it shares only node:crypto), and a small line client over real sockets.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';

const H = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const HMAC = (k: Buffer, s: string): Buffer => createHmac('sha256', k).update(s).digest();

export interface ScramClientOptions {
  authzid?: string;
  /** "p=<type>" with its data for -PLUS; "n" (default) or "y" without. */
  channelBinding?: { type: 'tls-exporter' | 'tls-server-end-point'; data: Buffer } | 'n' | 'y';
  nonce?: string;
}

export class ScramClient {
  private readonly gs2: string;
  private readonly cbData: Buffer;
  private readonly clientNonce: string;
  private clientFirstBare = '';
  private serverSignature: Buffer | null = null;

  constructor(private readonly user: string, private readonly password: string, opts: ScramClientOptions = {}) {
    const cb = opts.channelBinding ?? 'n';
    const flag = typeof cb === 'string' ? cb : `p=${cb.type}`;
    const a = opts.authzid ? `a=${opts.authzid.replace(/=/g, '=3D').replace(/,/g, '=2C')}` : '';
    this.gs2 = `${flag},${a},`;
    this.cbData = typeof cb === 'string' ? Buffer.alloc(0) : cb.data;
    this.clientNonce = opts.nonce ?? randomBytes(18).toString('base64');
  }

  first(): string {
    this.clientFirstBare = `n=${this.user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.clientNonce}`;
    return this.gs2 + this.clientFirstBare;
  }

  final(serverFirst: string): string {
    const attrs = new Map(serverFirst.split(',').map((p) => [p[0]!, p.slice(2)] as [string, string]));
    const nonce = attrs.get('r')!;
    if (!nonce.startsWith(this.clientNonce)) throw new Error('server nonce does not extend ours');
    const salt = Buffer.from(attrs.get('s')!, 'base64');
    const iterations = Number(attrs.get('i'));
    const salted = pbkdf2Sync(Buffer.from(this.password, 'utf8'), salt, iterations, 32, 'sha256');
    const clientKey = HMAC(salted, 'Client Key');
    const withoutProof = `c=${Buffer.concat([Buffer.from(this.gs2), this.cbData]).toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = HMAC(H(clientKey), authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    this.serverSignature = HMAC(HMAC(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** True when the server proved it knows the keys. */
  verify(serverFinal: string): boolean {
    return this.serverSignature !== null && serverFinal === `v=${this.serverSignature.toString('base64')}`;
  }
}

/** Client-side channel-binding data of a TLS connection. */
export function clientChannelBinding(s: tls.TLSSocket, type: 'tls-exporter' | 'tls-server-end-point'): Buffer {
  if (type === 'tls-exporter') return s.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  return H(s.getPeerCertificate().raw);
}

/** A CRLF line client over a real (TLS) socket. */
export class LineClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, ca: string | null): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = ca
        ? tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(new LineClient(s)))
        : net.connect({ host: '127.0.0.1', port }, () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  get tlsSocket(): tls.TLSSocket {
    if (!(this.socket instanceof tls.TLSSocket)) throw new Error('not TLS');
    return this.socket;
  }

  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return l;
      }
      if (this.ended) throw new Error(`connection closed; pending ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Reads lines until one matches; returns it. */
  async until(re: RegExp): Promise<string> {
    for (;;) {
      const l = await this.line();
      if (re.test(l)) return l;
    }
  }

  send(line: string): void {
    this.socket.write(line + '\r\n');
  }

  close(): void {
    this.socket.destroy();
  }
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
