/**
 * Channel-binding data for SCRAM-*-PLUS, from the server side of a TLS connection:
 * - tls-exporter (RFC 9266): 32 bytes of keying material, label "EXPORTER-Channel-Binding",
 *   empty context; only on TLS 1.3 (on older versions it is unsafe without extended master secret);
 * - tls-server-end-point (RFC 5929): the hash of our certificate, with the certificate's
 *   signature hash (SHA-256 when that is MD5 or SHA-1; unavailable for Ed25519/Ed448).
 */
import { createHash } from 'node:crypto';
import * as tls from 'node:tls';
import type { Connection } from '../net/types.js';
import type { ChannelBindingSource, ChannelBindingType } from './types.js';

/** signatureAlgorithm OID (hex of the DER contents) -> hash for tls-server-end-point. */
const SIG_HASH: Record<string, string> = {
  '2a864886f70d010105': 'sha256', // sha1WithRSAEncryption -> SHA-256 per RFC 5929
  '2a864886f70d010104': 'sha256', // md5WithRSAEncryption
  '2a864886f70d01010b': 'sha256',
  '2a864886f70d01010c': 'sha384',
  '2a864886f70d01010d': 'sha512',
  '2a864886f70d01010a': 'sha256', // RSASSA-PSS (hash in parameters; SHA-256 is what we issue)
  '2a8648ce3d040301': 'sha256', // ecdsa-with-SHA1
  '2a8648ce3d040302': 'sha256',
  '2a8648ce3d040303': 'sha384',
  '2a8648ce3d040304': 'sha512',
};

/** Reads a DER TLV header at `pos`; returns [contentStart, contentLength]. */
function tlv(der: Buffer, pos: number): [number, number] {
  let len = der[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return [start, len];
}

/** The hash name tls-server-end-point uses for a DER certificate; null when undefined for it. */
export function endPointHash(der: Buffer): string | null {
  try {
    const [certStart] = tlv(der, 0);
    const [tbsStart, tbsLen] = tlv(der, certStart);
    const [algStart] = tlv(der, tbsStart + tbsLen);
    if (der[algStart] !== 0x06) return null;
    const [oidStart, oidLen] = tlv(der, algStart);
    return SIG_HASH[der.subarray(oidStart, oidStart + oidLen).toString('hex')] ?? null;
  } catch {
    return null;
  }
}

/** Channel-binding data of a server-side TLS socket. */
export function channelBindingOfSocket(socket: tls.TLSSocket): ChannelBindingSource {
  return (type: ChannelBindingType): Buffer | null => {
    try {
      if (type === 'tls-exporter') {
        if (socket.getProtocol() !== 'TLSv1.3') return null;
        return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
      }
      const cert = socket.getCertificate();
      const raw = cert && 'raw' in cert ? (cert as tls.PeerCertificate).raw : null;
      if (!raw) return null;
      const alg = endPointHash(raw);
      return alg ? createHash(alg).update(raw).digest() : null;
    } catch {
      return null;
    }
  };
}

/**
 * Finds the TLS socket under a Connection (net's SocketConnection exposes `socket`; wrappers such
 * as IMAP's RelayConnection keep the wrapped one in `inner`). Null when the connection is not TLS.
 */
export function tlsSocketOf(conn: Connection | { socket?: unknown; inner?: unknown }): tls.TLSSocket | null {
  let c: unknown = conn;
  for (let depth = 0; depth < 4 && c && typeof c === 'object'; depth++) {
    const o = c as { socket?: unknown; inner?: unknown };
    if (o.socket instanceof tls.TLSSocket) return o.socket;
    c = o.inner;
  }
  return c instanceof tls.TLSSocket ? c : null;
}

/** The channel-binding source of a connection, or undefined when it has no TLS. */
export function channelBindingOf(conn: Connection | { socket?: unknown; inner?: unknown }): ChannelBindingSource | undefined {
  const s = tlsSocketOf(conn);
  return s ? channelBindingOfSocket(s) : undefined;
}
