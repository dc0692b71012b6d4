/** Longest user name, password or authzid a SASL mechanism accepts, in octets (RFC 4616 requires 255). */
export const MAX_SASL_FIELD = 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes strict UTF-8 without NUL; null when invalid. */
export function decodeUtf8Field(b: Buffer): string | null {
  if (b.includes(0)) return null;
  try {
    return decoder.decode(b);
  } catch {
    return null;
  }
}
