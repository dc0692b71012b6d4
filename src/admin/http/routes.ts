/**
 * The admin API's route table: the router dispatches on it and the OpenAPI document is generated
 * from it, so the two cannot disagree. Paths use OpenAPI templates ("/api/users/{address}").
 */
import { SERVICE_NAMES } from '../../config/schema.js';
import type { Binding } from '../../config/config.js';
import type { ServerControl } from './control.js';
import type { TokenIdentity } from './tokens.js';
import {
  ApiError, addUser, analyzerReport, failedLoginReport, insecureLoginReport, listCertificates, listUsers, loginFilter, readSection,
  removeUser, sectionNames, serviceAction, setPassword, updateSection,
} from './ops.js';

export type JsonSchema = { [key: string]: unknown };
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  identity: TokenIdentity | null;
}

export interface ApiContext {
  control: ServerControl;
  bindings: Binding[];
  /** True once the server is stopping (GET /health then answers 503). */
  stopping?: () => boolean;
}

export interface ParamSpec {
  name: string;
  in: 'path' | 'query';
  description: string;
  schema: JsonSchema;
}

export interface Route {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Needs a read-write token. */
  write: boolean;
  /** false: served without a token (only the OpenAPI document). */
  auth: boolean;
  params: ParamSpec[];
  requestBody?: JsonSchema;
  response: JsonSchema;
  /** HTTP status of a success (200 unless given). */
  status?: number;
  /** Other statuses that carry the same response body (e.g. 503 of /health). */
  alsoReturns?: Array<{ status: number; description: string }>;
  run(ctx: ApiContext, req: ApiRequest): Promise<unknown>;
}

const str = (description?: string): JsonSchema => ({ type: 'string', ...(description ? { description } : {}) });
const arr = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
const obj = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)): JsonSchema => ({ type: 'object', properties, required });
const settingValue: JsonSchema = { oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }] };
const settingRow = obj({
  name: str(), value: settingValue, default: settingValue, changed: { type: 'boolean' }, apply: { type: 'string', enum: ['live', 'restart'] },
  allowed: str(), exchange: { type: ['string', 'null'] }, description: str(),
});
const serviceRow = obj({ name: { type: 'string', enum: [...SERVICE_NAMES] }, startupType: { type: 'string', enum: ['Automatic', 'Disabled'] }, status: { type: 'string', enum: ['Running', 'Stopped', 'Degraded'] } });
const loginRow = obj({ user: str(), clientAddress: str(), protocol: { type: 'string', enum: ['imap4', 'pop3', 'smtp'] }, count: { type: 'integer' }, firstSeen: str(), lastSeen: str() });
const userRow = obj({ address: str(), imapEnabled: { type: 'boolean' }, popEnabled: { type: 'boolean' }, quotaBytes: { type: ['integer', 'null'] }, usedBytes: { type: 'integer' }, createdAt: str() });
const finding = obj({ id: str(), severity: { type: 'string', enum: ['pass', 'info', 'warning', 'fail'] }, title: str(), detail: str(), fix: { type: ['string', 'null'], description: 'The exact command that fixes it.' } });
const ok = obj({ ok: { type: 'boolean' } });

const sectionParam: ParamSpec = { name: 'section', in: 'path', description: 'Settings section.', schema: { type: 'string', enum: sectionNames() } };
const serviceParam: ParamSpec = { name: 'name', in: 'path', description: 'Service name.', schema: { type: 'string', enum: [...SERVICE_NAMES] } };
const addressParam: ParamSpec = { name: 'address', in: 'path', description: 'Email address of the user.', schema: { type: 'string' } };
const logParams: ParamSpec[] = [
  { name: 'protocol', in: 'query', description: 'Only this protocol.', schema: { type: 'string', enum: ['imap4', 'pop3', 'smtp'] } },
  { name: 'since', in: 'query', description: 'ISO date or date-time, or a relative age such as 24h or 7d.', schema: { type: 'string' } },
];

export interface HealthReport {
  status: 'ok' | 'degraded' | 'stopping';
  services: Record<string, string>;
}

/**
 * GET /health for load balancers and monitoring (no token, no secrets): every service's state;
 * 'degraded' when a service whose startup type is Automatic is not Running, 'stopping' (503)
 * once the server is shutting down.
 */
export function healthReport(ctx: ApiContext): HealthReport {
  const rows = ctx.control.services();
  const services = Object.fromEntries(rows.map((r) => [r.name, r.status]));
  if (ctx.stopping?.()) return { status: 'stopping', services };
  return { status: rows.some((r) => r.startupType === 'Automatic' && r.status !== 'Running') ? 'degraded' : 'ok', services };
}

function body(req: ApiRequest): Record<string, unknown> {
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) throw new ApiError(400, 'body: a JSON object is required');
  return req.body as Record<string, unknown>;
}

function serviceRoute(action: 'start' | 'stop' | 'restart'): Route {
  return {
    method: 'POST', path: `/api/services/{name}/${action}`, operationId: `${action}Service`, tag: 'services', write: true, auth: true,
    summary: `${action[0].toUpperCase()}${action.slice(1)} a service in the running server (the startup type is unchanged).`,
    params: [serviceParam], response: serviceRow,
    run: (ctx, req) => serviceAction(ctx.control, req.params.name, action),
  };
}

export function apiRoutes(): Route[] {
  return [
    {
      method: 'GET', path: '/health', operationId: 'getHealth', tag: 'meta', write: false, auth: false,
      summary: 'Health for load balancers: 200 with ok or degraded (an Automatic service not Running) while the server runs, 503 when it is stopping. No token needed.',
      params: [], alsoReturns: [{ status: 503, description: 'The server is stopping.' }],
      response: obj({ status: { type: 'string', enum: ['ok', 'degraded', 'stopping'] }, services: { type: 'object', additionalProperties: { type: 'string', enum: ['Running', 'Stopped', 'Degraded'] } } }),
      run: async (ctx) => healthReport(ctx),
    },
    {
      method: 'GET', path: '/api/openapi.json', operationId: 'getOpenApi', summary: 'This OpenAPI 3.1 description.', tag: 'meta', write: false, auth: false,
      params: [], response: { type: 'object' }, run: async () => { throw new ApiError(500, 'served by the server itself'); },
    },
    {
      method: 'GET', path: '/api/settings', operationId: 'listSettingsSections', summary: 'The settings sections.', tag: 'settings', write: false, auth: true,
      params: [], response: arr(str()), run: async () => sectionNames(),
    },
    {
      method: 'GET', path: '/api/settings/{section}', operationId: 'getSettings', summary: 'Every setting of a section: value, default, whether changed, live or restart.', tag: 'settings', write: false, auth: true,
      params: [sectionParam], response: arr(settingRow), run: async (ctx, req) => readSection(ctx.control.dataDir, req.params.section),
    },
    {
      method: 'PUT', path: '/api/settings/{section}', operationId: 'setSettings', tag: 'settings', write: true, auth: true,
      summary: 'Change settings (kebab-case names as keys). Every value is validated before anything is written; then the server applies them.',
      params: [sectionParam], requestBody: { type: 'object', additionalProperties: settingValue }, response: arr(settingRow),
      run: async (ctx, req) => updateSection(ctx.control, req.params.section, body(req)),
    },
    {
      method: 'GET', path: '/api/services', operationId: 'listServices', summary: 'Every service with its startup type and state.', tag: 'services', write: false, auth: true,
      params: [], response: arr(serviceRow), run: async (ctx) => ctx.control.services(),
    },
    {
      method: 'POST', path: '/api/reload', operationId: 'reload', tag: 'services', write: true, auth: true,
      summary: 'Re-read the config file and apply every live setting (as SIGHUP does). 409 when the file is refused or a listener cannot be bound; the previous listeners then stay.',
      params: [], response: ok,
      run: async (ctx) => { await ctx.control.reload(); return { ok: true }; },
    },
    serviceRoute('start'),
    serviceRoute('stop'),
    serviceRoute('restart'),
    {
      method: 'GET', path: '/api/certificates', operationId: 'listCertificates', summary: 'Stored certificates with expiry and the services using them.', tag: 'certificates', write: false, auth: true,
      params: [], response: arr(obj({ name: str(), sans: arr(str()), notAfter: str(), daysLeft: { type: 'integer' }, expiry: str(), selfSigned: { type: 'boolean' }, testingOnly: { type: 'boolean' }, usedBy: arr(str()) })),
      run: async (ctx) => listCertificates(ctx.control.dataDir),
    },
    {
      method: 'GET', path: '/api/users', operationId: 'listUsers', summary: 'Local users.', tag: 'users', write: false, auth: true,
      params: [], response: arr(userRow), run: async (ctx) => listUsers(ctx.control),
    },
    {
      method: 'POST', path: '/api/users', operationId: 'addUser', summary: 'Add a user with a password.', tag: 'users', write: true, auth: true, status: 201,
      params: [], requestBody: obj({ address: str(), password: str() }), response: userRow,
      run: async (ctx, req) => { const b = body(req); return addUser(ctx.control, b.address, b.password); },
    },
    {
      method: 'PUT', path: '/api/users/{address}/password', operationId: 'setUserPassword', summary: 'Change the password of a user.', tag: 'users', write: true, auth: true,
      params: [addressParam], requestBody: obj({ password: str() }), response: ok,
      run: async (ctx, req) => { await setPassword(ctx.control, req.params.address, body(req).password); return { ok: true }; },
    },
    {
      method: 'DELETE', path: '/api/users/{address}', operationId: 'removeUser', summary: 'Remove a user and all its mail.', tag: 'users', write: true, auth: true,
      params: [addressParam], response: ok,
      run: async (ctx, req) => { await removeUser(ctx.control, req.params.address); return { ok: true }; },
    },
    {
      method: 'GET', path: '/api/logs/insecure-logins', operationId: 'insecureLogins', summary: 'Users and client addresses that logged in without TLS, most recent first.', tag: 'logs', write: false, auth: true,
      params: logParams, response: arr(loginRow),
      run: async (ctx, req) => insecureLoginReport(ctx.control.dataDir, loginFilter(req.query.get('protocol'), req.query.get('since'))),
    },
    {
      method: 'GET', path: '/api/logs/failed-logins', operationId: 'failedLogins', summary: 'Failed logins with counts per reason, most recent first.', tag: 'logs', write: false, auth: true,
      params: logParams, response: arr({ ...loginRow, properties: { ...(loginRow.properties as object), reasons: { type: 'object', additionalProperties: { type: 'integer' } } } }),
      run: async (ctx, req) => failedLoginReport(ctx.control.dataDir, loginFilter(req.query.get('protocol'), req.query.get('since'))),
    },
    {
      method: 'GET', path: '/api/analyzer', operationId: 'analyze', summary: 'Analyzer findings, each with the command that fixes it.', tag: 'analyzer', write: false, auth: true,
      params: [], response: obj({ worst: { type: 'string', enum: ['pass', 'info', 'warning', 'fail'] }, findings: arr(finding) }),
      run: async (ctx) => analyzerReport(ctx.control.dataDir, ctx.bindings),
    },
  ];
}

/** Matches a path against a route template; returns the decoded path parameters or null. */
export function matchPath(template: string, path: string): Record<string, string> | null {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const m = /^\{(\w+)\}$/.exec(t[i]);
    if (m) {
      if (!p[i]) return null;
      try {
        params[m[1]] = decodeURIComponent(p[i]);
      } catch {
        return null;
      }
    } else if (t[i] !== p[i]) return null;
  }
  return params;
}
