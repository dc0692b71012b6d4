/**
 * Imported password hashes, for moving accounts over from Dovecot without resetting passwords:
 * `user add|passwd ADDRESS --hash-stdin` and `user import-passwd FILE` (a Dovecot passwd-file).
 *
 * Only the schemes the verifier knows (auth/passwords.ts) are accepted, each in its exact shape, so
 * an imported hash that could never verify is refused here rather than locking the user out later:
 *   {ARGON2ID}$argon2id$v=19$m=..,t=..,p=..$salt$hash   {BLF-CRYPT}$2y$NN$<53 characters>
 *   {SHA512-CRYPT}$6$[rounds=N$]salt$<86>   {SHA256-CRYPT}$5$[rounds=N$]salt$<43>   {SSHA512}base64
 * The hash is stored as given (with its prefix); the first successful password login replaces it
 * with a fresh argon2id hash and adds the SCRAM keys (needsRehash), so SCRAM works from then on.
 */
import { hashScheme } from '../../auth/passwords.js';

export const IMPORT_SCHEMES = ['ARGON2ID', 'BLF-CRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'SSHA512'] as const;
const MAX_HASH = 1024;

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SHAPES: Record<string, (body: string) => boolean> = {
  'ARGON2ID': (b) => /^\$argon2id\$v=19\$m=\d{1,8},t=\d{1,4},p=\d{1,3}\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/.test(b),
  'BLF-CRYPT': (b) => /^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(b),
  'SHA512-CRYPT': (b) => /^\$6\$(rounds=\d{1,9}\$)?[^$:\s]{0,16}\$[./A-Za-z0-9]{86}$/.test(b),
  'SHA256-CRYPT': (b) => /^\$5\$(rounds=\d{1,9}\$)?[^$:\s]{0,16}\$[./A-Za-z0-9]{43}$/.test(b),
  'SSHA512': (b) => B64.test(b) && b.length % 4 === 0 && Buffer.from(b, 'base64').length > 64,
};

/**
 * Checks one imported hash and returns it as it is stored ("{SCHEME}body", scheme in upper case).
 * Throws an Error whose message says what is wrong; the message never contains the hash.
 */
export function checkImportedHash(text: string): string {
  const s = text.trim();
  const allowed = `allowed: ${IMPORT_SCHEMES.map((x) => `{${x}}`).join(', ')}`;
  if (s.length === 0) throw new Error(`empty hash (${allowed})`);
  if (s.length > MAX_HASH || /[\x00-\x1f\x7f]/.test(s)) throw new Error(`hash not allowed (one line of at most ${MAX_HASH} characters; ${allowed})`);
  const prefix = /^\{([A-Za-z0-9.-]{1,20})\}/.exec(s);
  if (!prefix) throw new Error(`hash has no {SCHEME} prefix (${allowed})`);
  const { scheme, body } = hashScheme(s);
  // Only the five: a scheme the verifier may accept by the operator's choice (weak ones) is not imported.
  const shape = (IMPORT_SCHEMES as readonly string[]).includes(scheme) ? SHAPES[scheme] : undefined;
  if (!shape) throw new Error(`scheme {${prefix[1].toUpperCase()}} is not supported (${allowed})`);
  if (!shape(body)) throw new Error(`{${scheme}} hash is malformed`);
  return `{${scheme}}${body}`;
}

export interface PasswdEntry { line: number; address: string; hash: string }
export interface PasswdProblem { line: number; message: string }

/**
 * Parses a Dovecot passwd-file: `user:{SCHEME}hash:uid:gid:gecos:home:shell:extra` (only the first
 * two fields are used). Comments (#) and blank lines are skipped. A bare user name gets `@domain`
 * when a domain is given. `checkAddress` returns the normalised address or throws.
 */
export function parsePasswdFile(text: string, domain: string | null, checkAddress: (a: string) => string): { entries: PasswdEntry[]; problems: PasswdProblem[] } {
  const entries: PasswdEntry[] = [];
  const problems: PasswdProblem[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const fields = t.split(':');
    const user = fields[0] ?? '';
    if (fields.length < 2) return void problems.push({ line, message: 'no password field (expected user:{SCHEME}hash:...)' });
    let address: string;
    try {
      address = checkAddress(user.includes('@') || !domain ? user : `${user}@${domain}`);
    } catch {
      return void problems.push({ line, message: `user "${user.slice(0, 64)}" is not an email address${domain ? '' : ' (give --domain for bare user names)'}` });
    }
    let hash: string;
    try {
      hash = checkImportedHash(fields[1]!);
    } catch (err) {
      return void problems.push({ line, message: `${address}: ${(err as Error).message}` });
    }
    const first = seen.get(address);
    if (first !== undefined) return void problems.push({ line, message: `${address}: already on line ${first}` });
    seen.set(address, line);
    entries.push({ line, address, hash });
  });
  return { entries, problems };
}
