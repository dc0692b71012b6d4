/**
 * `portcullis logs insecure-logins [--protocol imap4|pop3|smtp] [--since T] [--json]` and
 * `portcullis logs failed-logins [...]`: reports over the security event log in
 * DATA_DIR/logs/security. T is an ISO date or date-time (2024-03-01, 2024-03-01T10:00Z) or a
 * relative age such as 30m, 24h, 7d, 2w.
 */
import { existsSync } from 'node:fs';
import { CliError, type CliContext } from './errors.js';
import { configPath } from '../../config/config.js';
import { parse } from './args.js';
import type { Protocol } from '../../auth/types.js';
import { failedLogins, insecureLogins, securityLogDir, type FailedLoginRow, type LoginReportRow } from '../../observe/security-log.js';

const PROTOCOLS: readonly Protocol[] = ['imap4', 'pop3', 'smtp'];
const OPTIONS = {
  protocol: { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Parses --since: ISO date/date-time, or a relative age (30m, 24h, 7d, 2w) before `now`. */
export function parseSince(value: string, now: Date = new Date()): Date {
  const rel = /^(\d{1,6})([mhdw])$/.exec(value.trim());
  if (rel) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[rel[2] as 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(rel[1]) * unit);
  }
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  const t = iso.test(value.trim()) ? Date.parse(value.trim().replace(' ', 'T')) : NaN;
  if (Number.isNaN(t)) {
    throw new CliError(`--since: "${value}" is not allowed (allowed: an ISO date or date-time such as 2024-03-01 or 2024-03-01T10:00Z, or a relative age such as 30m, 24h, 7d, 2w)`);
  }
  return new Date(t);
}

function parseFilter(ctx: CliContext, usage: string): { protocol?: Protocol; since?: Date; json: boolean } {
  const { values } = parse(ctx.args, OPTIONS, usage);
  const protocol = values.protocol as string | undefined;
  if (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol.toLowerCase())) {
    throw new CliError(`--protocol: "${protocol}" is not allowed (allowed: ${PROTOCOLS.join(', ')})`);
  }
  const since = values.since as string | undefined;
  const sinceDate = since === undefined ? undefined : parseSince(since);
  if (!existsSync(configPath(ctx.dataDir))) {
    throw new CliError(`--data-dir: ${ctx.dataDir} is not a Portcullis data dir (allowed: a directory made by 'portcullis init')`);
  }
  return {
    protocol: protocol?.toLowerCase() as Protocol | undefined,
    since: sinceDate,
    json: values.json === true,
  };
}

/** Fixed-width text table; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function baseCells(r: LoginReportRow): string[] {
  return [r.lastSeen, r.firstSeen, String(r.count), r.protocol, r.clientAddress, r.user];
}

async function insecure(ctx: CliContext): Promise<number> {
  const usage = 'portcullis logs insecure-logins [--protocol imap4|pop3|smtp] [--since T] [--json]';
  const filter = parseFilter(ctx, usage);
  const rows = await insecureLogins(securityLogDir(ctx.dataDir), filter);
  if (filter.json) ctx.stdout(JSON.stringify(rows, null, 2));
  else if (!rows.length) ctx.stdout('No logins without TLS recorded' + (filter.since ? ` since ${filter.since.toISOString()}` : '') + '.');
  else ctx.stdout(table(['LAST SEEN', 'FIRST SEEN', 'COUNT', 'PROTOCOL', 'CLIENT', 'USER'], rows.map(baseCells)));
  return 0;
}

function reasonsText(r: FailedLoginRow): string {
  return Object.entries(r.reasons).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(',');
}

async function failed(ctx: CliContext): Promise<number> {
  const usage = 'portcullis logs failed-logins [--protocol imap4|pop3|smtp] [--since T] [--json]';
  const filter = parseFilter(ctx, usage);
  const rows = await failedLogins(securityLogDir(ctx.dataDir), filter);
  if (filter.json) ctx.stdout(JSON.stringify(rows, null, 2));
  else if (!rows.length) ctx.stdout('No failed logins recorded' + (filter.since ? ` since ${filter.since.toISOString()}` : '') + '.');
  else ctx.stdout(table(['LAST SEEN', 'FIRST SEEN', 'COUNT', 'PROTOCOL', 'CLIENT', 'USER', 'REASONS'], rows.map((r) => [...baseCells(r).slice(0, 5), r.user, reasonsText(r)])));
  return 0;
}

export const logsCommands = { 'insecure-logins': insecure, 'failed-logins': failed };
