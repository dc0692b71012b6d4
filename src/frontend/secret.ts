/**
 * The cluster secret and the proofs bound to one TLS session. Each end sends
 * HMAC-SHA256(secret, role label || keying material exported from *this* TLS session), so a
 * man in the middle relaying between two TLS sessions cannot forward a proof that verifies:
 * the keying material differs on each of its sessions. Comparisons are constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as tls from 'node:tls';

export const MIN_SECRET_BYTES = 32;
export const EXPORTER_LABEL = 'EXPORTER-portcullis-handoff';
export type ProofRole = 'frontend' | 'backend';

/** Reads the secret file (surrounding whitespace ignored); an error message when unusable. */
export function readClusterSecret(path: string): Buffer | { error: string } {
  if (!path) return { error: 'cluster-secret-file is not set' };
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    return { error: `cannot read cluster-secret-file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
  let start = 0;
  let end = raw.length;
  while (start < end && /\s/.test(String.fromCharCode(raw[start]!))) start++;
  while (end > start && /\s/.test(String.fromCharCode(raw[end - 1]!))) end--;
  const secret = raw.subarray(start, end);
  if (secret.length < MIN_SECRET_BYTES) return { error: `cluster-secret-file ${path} holds fewer than ${MIN_SECRET_BYTES} bytes` };
  return Buffer.from(secret);
}

/** Keying material of a TLS session (same on both ends of one session). */
export function sessionKeyingMaterial(socket: tls.TLSSocket): Buffer {
  return socket.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0));
}

export function proof(secret: Buffer, role: ProofRole, keyingMaterial: Buffer): Buffer {
  return createHmac('sha256', secret).update(`portcullis-handoff-v1 ${role}\0`).update(keyingMaterial).digest();
}

export function verifyProof(secret: Buffer, role: ProofRole, keyingMaterial: Buffer, received: Buffer): boolean {
  const expected = proof(secret, role, keyingMaterial);
  return received.length === expected.length && timingSafeEqual(received, expected);
}
