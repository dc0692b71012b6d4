/**
 * The wire side of `portcullis test imap|pop`: a small line client over TCP (plain or TLS, with
 * the STARTTLS/STLS upgrade), IMAP tagged commands with literals, POP3 single- and multi-line
 * replies, and the certificate check (pinned to the configured certificate, or trusted by the
 * system, plus the host name). Every wait has a timeout, so a silent server is a failure, not
 * a hang.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';

export class WireError extends Error {
  /** The server's last reply (or what happened to the connection), shown to the operator. */
  constructor(message: string, readonly reply = '') {
    super(message);
    this.name = 'WireError';
  }
}

const MAX_LINE = 1024 * 1024;

/** Reads CRLF lines (and IMAP literals) from a socket that may be swapped for its TLS upgrade. */
export class LineConnection {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private ended: string | null = null;
  private socket!: Socket;
  private readonly onData = (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.poke(); };
  private readonly onEnd = () => { this.ended ??= 'the server closed the connection'; this.poke(); };
  private readonly onError = (err: Error) => { this.ended = `connection error: ${err.message}`; this.poke(); };

  constructor(socket: Socket, private readonly timeoutMs: number) {
    this.attach(socket);
  }

  get tls(): TLSSocket | null {
    return 'encrypted' in this.socket ? (this.socket as TLSSocket) : null;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', this.onData).on('end', this.onEnd).on('close', this.onEnd).on('error', this.onError);
  }

  private detach(): Socket {
    this.socket.off('data', this.onData).off('end', this.onEnd).off('close', this.onEnd).off('error', this.onError);
    return this.socket;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async waitFor<T>(take: () => T | null, what: string): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const got = take();
      if (got !== null) return got;
      if (this.ended) throw new WireError(`${what}: ${this.ended}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new WireError(`${what}: no answer within ${this.timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  async readLine(what = 'reply'): Promise<string> {
    return this.waitFor(() => {
      const i = this.buf.indexOf('\r\n');
      if (i < 0) {
        if (this.buf.length > MAX_LINE) throw new WireError(`${what}: line longer than ${MAX_LINE} bytes`);
        return null;
      }
      const line = this.buf.subarray(0, i).toString('latin1');
      this.buf = this.buf.subarray(i + 2);
      return line;
    }, what);
  }

  async readBytes(n: number, what = 'literal'): Promise<string> {
    return this.waitFor(() => {
      if (this.buf.length < n) return null;
      const data = this.buf.subarray(0, n).toString('latin1');
      this.buf = this.buf.subarray(n);
      return data;
    }, what);
  }

  write(line: string): void {
    this.socket.write(line + '\r\n');
  }

  /** Replaces the cleartext socket by TLS over it (after STARTTLS/STLS was accepted). */
  async upgrade(servername: string): Promise<void> {
    if (this.buf.length) throw new WireError('the server sent data before the TLS handshake (possible injection)');
    const plain = this.detach();
    const secure = await handshake(() => tlsConnect({ socket: plain, servername: sni(servername), rejectUnauthorized: false }), this.timeoutMs);
    this.attach(secure);
  }

  close(): void {
    this.detach().destroy();
  }
}

function sni(host: string): string | undefined {
  return /^[\d.]+$|:/.test(host) ? undefined : host;
}

function handshake(start: () => TLSSocket, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = start();
    const timer = setTimeout(() => { s.destroy(); reject(new WireError(`TLS handshake: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    s.once('secureConnect', () => { clearTimeout(timer); resolve(s); });
    s.once('error', (err) => { clearTimeout(timer); reject(new WireError(`TLS handshake failed: ${err.message}`)); });
  });
}

/** Opens TCP (implicit: TLS at once) to host:port. */
export async function openConnection(host: string, port: number, implicitTls: boolean, timeoutMs: number): Promise<LineConnection> {
  if (implicitTls) {
    const s = await handshake(() => tlsConnect({ host, port, servername: sni(host), rejectUnauthorized: false }), timeoutMs);
    return new LineConnection(s, timeoutMs);
  }
  const s = await new Promise<Socket>((resolve, reject) => {
    const sock = tcpConnect({ host, port });
    const timer = setTimeout(() => { sock.destroy(); reject(new WireError(`connect: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    sock.once('connect', () => { clearTimeout(timer); resolve(sock); });
    sock.once('error', (err) => { clearTimeout(timer); reject(new WireError(`connect failed: ${err.message}`)); });
  });
  return new LineConnection(s, timeoutMs);
}

/**
 * Whether the presented certificate is acceptable: it is the certificate this service is
 * configured with (pinned by fingerprint) or one the system trusts, and it names `host`.
 * Returns null when it is, else the reason.
 */
export function certificateProblem(conn: LineConnection, host: string, pinnedFingerprints: string[]): string | null {
  const tls = conn.tls;
  if (!tls) return 'the connection is not encrypted';
  const peer = tls.getPeerCertificate() as PeerCertificate | undefined;
  if (!peer || !peer.fingerprint256) return 'the server presented no certificate';
  const pinned = pinnedFingerprints.includes(peer.fingerprint256);
  if (!pinned && !tls.authorized) {
    return `the server presented a certificate (subject ${peer.subject?.CN ?? '?'}, SHA-256 ${peer.fingerprint256.slice(0, 23)}...) that is neither the one configured for this service nor trusted by the system (${String(tls.authorizationError ?? 'untrusted')}); use --trust-any-certificate to skip this check`;
  }
  const mismatch = checkServerIdentity(host.replace(/^\[|\]$/g, ''), peer);
  if (mismatch) return `the certificate does not name ${host} (it names ${peer.subjectaltname ?? peer.subject?.CN ?? 'nothing'})`;
  return null;
}

/** An IMAP quoted string. */
export function imapQuote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

/** IMAP: sends `tag command`, collects untagged lines (literals inlined) until the tagged reply. */
export async function imapCommand(conn: LineConnection, tag: string, command: string, shown = command): Promise<{ ok: boolean; lines: string[]; tagged: string }> {
  conn.write(`${tag} ${command}`);
  const lines: string[] = [];
  for (;;) {
    let line = await conn.readLine(shown.split(' ')[0]);
    // A line ending in {n} announces a literal of n bytes, after which the line continues.
    for (let m = /\{(\d+)\}$/.exec(line); m; m = /\{(\d+)\}$/.exec(line)) {
      line += '\r\n' + (await conn.readBytes(Number(m[1]))) + (await conn.readLine());
    }
    if (line.startsWith(`${tag} `)) {
      return { ok: /^\S+ OK\b/i.test(line), lines, tagged: line };
    }
    lines.push(line);
  }
}

/** POP3: one status line. */
export async function popCommand(conn: LineConnection, command: string | null, shown = command ?? 'greeting'): Promise<{ ok: boolean; line: string }> {
  if (command !== null) conn.write(command);
  const line = await conn.readLine(shown.split(' ')[0]);
  return { ok: line.startsWith('+OK'), line };
}

/** POP3: a multi-line reply after +OK, dot-unstuffed, without the final ".". */
export async function popMultiline(conn: LineConnection, command: string): Promise<{ ok: boolean; line: string; body: string[] }> {
  const first = await popCommand(conn, command);
  if (!first.ok) return { ...first, body: [] };
  const body: string[] = [];
  for (;;) {
    const line = await conn.readLine(command.split(' ')[0]);
    if (line === '.') return { ...first, body };
    body.push(line.startsWith('..') ? line.slice(1) : line);
  }
}
