/**
 * Reading a test server's logs the way an administrator would: the protocol-log CSV files (rows keyed
 * by their #Fields: header) and polling until the server has written what a test waits for.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type LogRow = Record<string, string>;

/** Every file under a directory, recursively. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Splits one CSV line (fields may be double-quoted with "" escapes). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i += 2; continue; }
        if (line[i] === '"') { i++; break; }
        v += line[i++];
      }
      out.push(v);
      i++; // the comma
    } else {
      const end = line.indexOf(',', i);
      out.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length + 1 : end + 1;
    }
  }
  return out;
}

/** A protocol's log files under DATA_DIR/logs/<protocol> (or `dir`): the # header lines and the rows. */
export function readProtocolLog(dataDir: string, protocol: string, dir = join(dataDir, 'logs', protocol)): { headers: string[]; rows: LogRow[] } {
  const headers: string[] = [];
  const rows: LogRow[] = [];
  for (const file of filesUnder(dir).sort()) {
    let fields: string[] = [];
    for (const line of readFileSync(file, 'utf8').split('\r\n')) {
      if (line.startsWith('#')) headers.push(line);
      if (line.startsWith('#Fields: ')) fields = line.slice(9).split(',');
      else if (line && !line.startsWith('#')) rows.push(Object.fromEntries(csvFields(line).map((v, i) => [fields[i], v])));
    }
  }
  return { headers, rows };
}

/** Polls until `probe` returns a value (the server's logs catch up), failing after 15 s. */
export async function eventually<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 25)); // poll interval, not a fixed wait
  }
}
