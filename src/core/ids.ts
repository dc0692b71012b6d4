import { randomBytes } from 'node:crypto';

/** A short random session id, unique enough to join log lines of one connection. */
export function newSessionId(): string {
  return randomBytes(6).toString('base64url');
}
