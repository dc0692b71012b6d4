/**
 * What a protocol session sees of its connection. net/ implements it over node:net and
 * node:tls; protocol engines never touch sockets directly, so the same session code runs on an
 * implicit-TLS port, after STARTTLS, behind the PROXY protocol, or over a backend hand-off.
 */
import type { ClientCertificateFacts } from '../tls/client-cert.js';

export interface TlsFacts {
  /** e.g. "TLSv1.3" */
  version: string;
  /** e.g. "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  /** The server name the client asked for (SNI), if any. */
  servername: string | null;
  /**
   * The client certificate, when one was requested (client-certificate-ca-file) and sent:
   * verified against that CA or not, and the identities a verified one carries. Never the
   * certificate itself. Absent or null: none.
   */
  clientCertificate?: ClientCertificateFacts | null;
}

export type ListenerKind = 'implicit' | 'starttls';

export interface ListenerInfo {
  /** "imap4", "pop3", "submission", ... */
  service: string;
  kind: ListenerKind;
  /** The binding as configured, e.g. "127.0.0.1:993". */
  binding: string;
}

export interface Connection {
  readonly sessionId: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly listener: ListenerInfo;
  /** TLS facts once the connection is encrypted (implicit TLS, or after startTls()). */
  readonly tls: TlsFacts | null;
  /** How TLS came about: none, STARTTLS/STLS, or an implicit-TLS port. */
  readonly tlsMode: 'none' | 'starttls' | 'implicit';
  readonly closed: boolean;

  /** Receives every chunk of (decrypted) input. Set once by the session. */
  onData(handler: (chunk: Buffer) => void): void;
  /** Called once when the connection is gone, for any reason. */
  onClose(handler: () => void): void;
  write(data: string | Buffer): void;
  /** Resolves when buffered output has drained below the high-water mark (backpressure). */
  drained(): Promise<void>;
  /** Stop / resume delivering input (flow control while a command runs). */
  pause(): void;
  resume(): void;
  /**
   * Upgrade to TLS in place. The caller has already written its "go ahead" reply. Any cleartext
   * input received from now until the handshake completes is discarded, never delivered.
   * Rejects (and closes the connection) if the handshake fails.
   */
  startTls(): Promise<void>;
  /** Inactivity timeout; 0 disables. Replaces any previous one. */
  setIdleTimeout(ms: number, onTimeout: () => void): void;
  /** Write optional final bytes, then close gracefully. */
  close(finalWrite?: string | Buffer): void;
}
