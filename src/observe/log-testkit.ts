/** Helpers for the protocol-log tests: a temp dir, a row, a settable clock, directory listings. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProtocolLogRow } from './types.js';

export async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'plog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function row(over: Partial<ProtocolLogRow> = {}): ProtocolLogRow {
  return {
    dateTime: new Date('2024-03-04T10:00:00Z'), sessionId: 's1', seqNumber: 1, sIp: '127.0.0.1:143',
    cIp: '127.0.0.2:50000', user: '', duration: 1, rqsize: 10, rpsize: 20, command: 'NOOP', parameters: '',
    context: 'OK', tls: 'none', authMech: '', secure: false, ...over,
  };
}

export class Clock {
  t: Date;
  constructor(iso: string) { this.t = new Date(iso); }
  now = (): Date => this.t;
  set(iso: string): void { this.t = new Date(iso); }
}

export async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export function dataLines(text: string): string[] {
  return text.split('\r\n').filter((l) => l && !l.startsWith('#'));
}

