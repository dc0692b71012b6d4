/** The messages the durability test delivers: the bytes of message n of run `seed` are a pure function of both. */
import { createHash } from 'node:crypto';

export function durabilityMessage(seed: string, n: number): Buffer {
  const h = createHash('sha256').update(`${seed}:${n}`).digest();
  const size = [200, 3_000, 40_000, 300_000][h[0]! % 4]!;
  const line = h.toString('hex') + '\r\n';
  const body = line.repeat(Math.ceil(size / line.length));
  return Buffer.from(
    `From: Loop <loop@example.org>\r\nTo: durable@example.org\r\nSubject: durability ${seed} #${n}\r\n` +
      `Message-ID: <${seed}.${n}@example.org>\r\n\r\n${body}`,
  );
}
