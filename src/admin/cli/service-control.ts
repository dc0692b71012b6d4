/**
 * `portcullis service start|stop|restart NAME`: acts on the running server, like Start-Service,
 * without changing the startup type. Talks to the server's admin API over its control socket
 * (DATA_DIR/run/admin.sock) with the token the server wrote for the CLI (DATA_DIR/run/cli-token);
 * both are private to the service user, so only it (and root) can use them.
 */
import * as http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { SERVICE_NAMES } from '../../config/schema.js';
import { cliTokenPath, controlSocketPath } from '../http/server.js';

/** Exit code when no server runs for the data dir (EX_TEMPFAIL). */
export const NOT_RUNNING = 75;

export interface ControlReply {
  status: number;
  body: unknown;
}

/** One request to the running server's API over the control socket. */
export function controlRequest(dataDir: string, method: string, path: string, body?: unknown): Promise<ControlReply> {
  const socketPath = controlSocketPath(dataDir);
  if (!existsSync(socketPath) || !existsSync(cliTokenPath(dataDir))) {
    return Promise.reject(new CliError(`the server is not running for ${dataDir} (no ${socketPath}; start it with: portcullis serve)`, NOT_RUNNING));
  }
  let token: string;
  try {
    token = readFileSync(cliTokenPath(dataDir), 'utf8').trim();
  } catch (err) {
    return Promise.reject(new CliError(`cannot read ${cliTokenPath(dataDir)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; run as the user the server runs as)`));
  }
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath, path, method,
      headers: { Authorization: `Bearer ${token}`, ...(text ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) } : {}) },
      timeout: 60_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          parsed = Buffer.concat(chunks).toString('utf8');
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ECONNREFUSED' || err.code === 'ENOENT'
        ? new CliError(`the server is not running for ${dataDir} (start it with: portcullis serve)`, NOT_RUNNING)
        : new CliError(`control socket: ${err.message}`, 1));
    });
    req.end(text);
  });
}

function action(verb: 'start' | 'stop' | 'restart') {
  return async (ctx: CliContext): Promise<number> => {
    const usage = `portcullis service ${verb} NAME`;
    const { positionals } = parse(ctx.args, {}, usage, 1);
    const name = positionals[0];
    if (!name) throw new CliError(`NAME: missing (usage: ${usage}; allowed: ${SERVICE_NAMES.join(', ')})`);
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) throw new CliError(`NAME: unknown service "${name}" (allowed: ${SERVICE_NAMES.join(', ')})`);
    const reply = await controlRequest(ctx.dataDir, 'POST', `/api/services/${encodeURIComponent(name)}/${verb}`);
    if (reply.status !== 200) {
      const msg = (reply.body as { error?: string } | null)?.error ?? String(reply.body);
      throw new CliError(`${name}: ${msg}`, reply.status >= 500 ? 1 : 2);
    }
    const row = reply.body as { name: string; startupType: string; status: string };
    ctx.stdout(`${row.name}: ${row.status} (startup type ${row.startupType}, unchanged)`);
    return 0;
  };
}

export const serviceControlCommands = { start: action('start'), stop: action('stop'), restart: action('restart') };
