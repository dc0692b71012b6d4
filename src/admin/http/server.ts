/**
 * The admin API and web console: node:http on loopback bindings, node:https (certificate from
 * the TlsContextProvider, asked afresh for each handshake) on any other address. JSON API under
 * /api (Bearer tokens, read-only or read-write), the console under /console (the token kept in
 * an HttpOnly SameSite=Strict cookie), and a control socket for the CLI (DATA_DIR/run/admin.sock,
 * authenticated with DATA_DIR/run/cli-token, both private to the service user).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Binding } from '../../config/config.js';
import { ConfigError, formatBinding } from '../../config/config.js';
import type { Logger } from '../../core/log.js';
import type { TlsContextProvider } from '../../tls/provider.js';
import { isLoopback } from '../../observe/analyzer.js';
import { isMailError } from '../../core/errors.js';
import { ReloadError, type ServerControl } from './control.js';
import { ApiError } from './ops.js';
import { apiRoutes, healthReport, matchPath, type ApiContext, type Route } from './routes.js';
import { openApiDocument } from './openapi.js';
import { bearerToken, readBody, sendError, sendJson, SECURITY_HEADERS } from './http-util.js';
import { METRICS_CONTENT_TYPE, renderOpenMetrics } from '../../observe/metrics.js';
import { expiredToken, hashToken, matchToken, newTokenSecret, readTokens, touchToken, type TokenIdentity, type TokenRecord } from './tokens.js';
import { handleConsole } from './console/handler.js';

export const API_VERSION = '0.1.0';

export interface AdminApiAddress {
  binding: string;
  address: string;
  port: number;
  tls: boolean;
  /** e.g. "http://127.0.0.1:8443/" */
  url: string;
}

export interface RunningAdminApi {
  addresses(): AdminApiAddress[];
  stop(): Promise<void>;
}

export interface AdminApiDeps {
  control: ServerControl;
  tls: TlsContextProvider;
  bindings: Binding[];
  logger: Logger;
}

type TokenSource = () => Array<Pick<TokenRecord, 'name' | 'scope' | 'sha256' | 'expiresAt'>>;

interface Handler {
  (req: http.IncomingMessage, res: http.ServerResponse): void;
}

/** The request handler shared by the TCP listeners and the control socket. */
export function createAdminHandler(opts: { ctx: ApiContext; tokens: TokenSource; logger: Logger; secure: boolean; console: boolean; secret: Buffer; used?: (identity: TokenIdentity) => void }): Handler {
  const routes = apiRoutes();
  const openapi = JSON.stringify(openApiDocument(routes, API_VERSION), null, 2) + '\n';
  const identify = (secret: string | null): TokenIdentity | null => {
    const who = secret ? matchToken(opts.tokens(), secret) : null;
    if (who) opts.used?.(who);
    return who;
  };

  async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let route: Route | undefined;
    let params: Record<string, string> | null = null;
    const allowed: string[] = [];
    for (const r of routes) {
      const p = matchPath(r.path, url.pathname);
      if (!p) continue;
      allowed.push(r.method);
      if (r.method === method) {
        route = r;
        params = p;
      }
    }
    if (!route || !params) {
      if (allowed.length) throw new ApiError(405, `method: ${method} is not allowed on ${url.pathname} (allowed: ${allowed.join(', ')})`);
      throw new ApiError(404, `path: no API route ${url.pathname} (see /api/openapi.json)`);
    }
    if (route.operationId === 'getOpenApi') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8' });
      res.end(openapi);
      return;
    }
    const identity = identify(bearerToken(req));
    if (!identity) {
      const expired = expiredToken(opts.tokens(), bearerToken(req) ?? '');
      if (expired) throw new ApiError(401, `authorization: token "${expired.name}" expired at ${expired.expiresAt} (allowed: a token that has not expired; make a new one with portcullis admin token add NAME)`);
      throw new ApiError(401, 'authorization: a valid token is required (allowed: Authorization: Bearer TOKEN; make one with portcullis admin token add NAME)');
    }
    if (route.write && identity.scope !== 'read-write') throw new ApiError(403, `authorization: token "${identity.name}" is read-only (allowed: a read-write token for ${method} ${route.path})`);
    let body: unknown = undefined;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const raw = await readBody(req);
      if (raw.length) {
        if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new ApiError(415, 'content-type: not allowed (allowed: application/json)');
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          throw new ApiError(400, `body: not valid JSON (${(err as Error).message})`);
        }
      }
    }
    const result = await route.run(opts.ctx, { params, query: url.searchParams, body, identity });
    if (route.write) opts.logger.info('admin-change', { by: identity.name, method, path: url.pathname });
    sendJson(res, route.status ?? 200, result);
  }

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    const work = async (): Promise<void> => {
      if (isApi) return api(req, res, url);
      if (url.pathname === '/health') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, `method: ${req.method ?? ''} is not allowed on /health (allowed: GET)`);
        const report = healthReport(opts.ctx);
        sendJson(res, report.status === 'stopping' ? 503 : 200, report);
        return;
      }
      if (url.pathname === '/metrics') {
        // Prometheus / OpenMetrics scrape: any valid token (read-only is enough).
        if (!identify(bearerToken(req))) throw new ApiError(401, 'authorization: a valid token is required (allowed: Authorization: Bearer TOKEN)');
        const body = await renderOpenMetrics();
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': METRICS_CONTENT_TYPE });
        res.end(body);
        return;
      }
      if (!opts.console) throw new ApiError(404, `path: ${url.pathname} (this socket serves /api only)`);
      if (url.pathname === '/' || url.pathname === '') {
        res.writeHead(303, { ...SECURITY_HEADERS, Location: '/console/' });
        res.end();
        return;
      }
      return handleConsole({ ctx: opts.ctx, identify, secure: opts.secure, secret: opts.secret, logger: opts.logger }, req, res, url);
    };
    work().catch((err: unknown) => {
      let e: ApiError;
      if (err instanceof ApiError) e = err;
      else if (err instanceof ConfigError || err instanceof ReloadError) e = new ApiError(409, err.message);
      else if (isMailError(err, 'UNAVAILABLE')) e = new ApiError(503, err.message);
      else {
        opts.logger.error('admin-request-failed', { path: url.pathname, err: err instanceof Error ? err : new Error(String(err)) });
        e = new ApiError(500, 'internal error (see the server log)');
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (isApi || e.status >= 500) sendError(res, e);
      else {
        res.writeHead(e.status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(e.message + '\n');
      }
    });
  };
}

function listen(server: http.Server | https.Server, b: Binding): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: b.host, port: b.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Starts the admin API and console on every binding; a binding that cannot be bound fails the start. */
export async function startAdminApi(deps: AdminApiDeps): Promise<RunningAdminApi> {
  let stopping = false;
  const ctx: ApiContext = { control: deps.control, bindings: deps.bindings, stopping: () => stopping };
  const secret = randomBytes(32);
  const tokens: TokenSource = () => {
    try {
      return readTokens(deps.control.dataDir);
    } catch (err) {
      deps.logger.error('admin-tokens-unreadable', { detail: (err as Error).message });
      return [];
    }
  };
  const used = (who: TokenIdentity): void => {
    try {
      touchToken(deps.control.dataDir, who.name);
    } catch (err) {
      deps.logger.warn('admin-token-touch-failed', { detail: (err as Error).message });
    }
  };
  const servers: Array<{ server: http.Server; binding: Binding; tls: boolean }> = [];
  try {
    for (const binding of deps.bindings) {
      const tls = !isLoopback(binding.host);
      const handler = createAdminHandler({ ctx, tokens, logger: deps.logger, secure: tls, console: true, secret, used });
      let server: http.Server;
      if (tls) {
        const initial = deps.tls.serverOptions();
        server = https.createServer({
          ...initial,
          SNICallback: (name, cb) => {
            try {
              const o = deps.tls.serverOptions();
              if (o.SNICallback) o.SNICallback(name, cb);
              else cb(null, o.secureContext);
            } catch (err) {
              cb(err as Error);
            }
          },
        }, handler);
      } else {
        server = http.createServer(handler);
      }
      server.headersTimeout = 20_000;
      server.requestTimeout = 60_000;
      server.on('clientError', (_err, socket) => socket.destroy());
      await listen(server, binding);
      servers.push({ server, binding, tls });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => closeServer(s.server)));
    throw err;
  }
  return {
    addresses(): AdminApiAddress[] {
      return servers.map(({ server, binding, tls }) => {
        const a = server.address() as AddressInfo;
        const host = a.address.includes(':') ? `[${a.address}]` : a.address;
        return { binding: formatBinding(binding), address: a.address, port: a.port, tls, url: `${tls ? 'https' : 'http'}://${host}:${a.port}/` };
      });
    },
    async stop(): Promise<void> {
      stopping = true; // requests still in flight (keep-alive) see /health answer 503
      await Promise.all(servers.map((s) => closeServer(s.server)));
    },
  };
}

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'run', 'admin.sock');
}

export function cliTokenPath(dataDir: string): string {
  return join(dataDir, 'run', 'cli-token');
}

export interface RunningControlSocket {
  path: string;
  stop(): Promise<void>;
}

/**
 * The CLI's way into the running server, whether or not the admin service is enabled: the JSON
 * API (no console) on the unix socket DATA_DIR/run/admin.sock, accepting only the read-write
 * token written to DATA_DIR/run/cli-token (0600) at start. Both are removed at stop.
 */
export async function startControlSocket(deps: { control: ServerControl; logger: Logger }): Promise<RunningControlSocket> {
  const dir = join(deps.control.dataDir, 'run');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = controlSocketPath(deps.control.dataDir);
  const tokenPath = cliTokenPath(deps.control.dataDir);
  const secret = newTokenSecret();
  rmSync(tokenPath, { force: true });
  writeFileSync(tokenPath, secret + '\n', { mode: 0o600, flag: 'wx' });
  const record = { name: 'cli', scope: 'read-write' as const, sha256: hashToken(secret) };
  const handler = createAdminHandler({
    ctx: { control: deps.control, bindings: [] }, tokens: () => [record], logger: deps.logger, secure: false, console: false, secret: randomBytes(32),
  });
  const server = http.createServer(handler);
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    path,
    async stop(): Promise<void> {
      await closeServer(server);
      rmSync(path, { force: true });
      rmSync(tokenPath, { force: true });
    },
  };
}
