/**
 * The cluster secret and the proofs bound to one TLS session. Each end sends
 * HMAC-SHA256(secret, role label || keying material exported from *this* TLS session), so a
 * man in the middle relaying between two TLS sessions cannot forward a proof that verifies:
 * the keying material differs on each of its sessions. Comparisons are constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
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

/**
 * What is wrong with a cluster-secret-file for an operator setting it (server set) or checking a
 * config (config check); null when it is usable. Beyond what readClusterSecret needs, the file
 * must be a regular file that others cannot read or write and the group cannot write: anyone who
 * can read it can pose as a frontend, anyone who can write it can lock the cluster out. Group
 * read (0640, root-owned with the service's group) is the usual way to hand a secret to a service.
 */
export function clusterSecretFileProblem(path: string): string | null {
  if (!path) return null; // empty: no remote hand-off
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    return `cluster-secret-file: ${path} cannot be used (${(err as NodeJS.ErrnoException).code ?? 'error'}; allowed: an existing file readable by the server, mode 0600)`;
  }
  if (!st.isFile()) return `cluster-secret-file: ${path} is not a regular file (allowed: a file of at least ${MIN_SECRET_BYTES} secret bytes, mode 0600)`;
  if (st.mode & 0o027) {
    return `cluster-secret-file: ${path} has mode 0${(st.mode & 0o777).toString(8)}, readable by others or writable by group or others (allowed: mode 0600, 0640 or 0400; chmod 600 ${path})`;
  }
  const s = readClusterSecret(path);
  if (!Buffer.isBuffer(s)) return `cluster-secret-file: ${s.error.replace(/^cluster-secret-file /, '')} (allowed: at least ${MIN_SECRET_BYTES} secret bytes, e.g. head -c 48 /dev/urandom | base64)`;
  return null;
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
