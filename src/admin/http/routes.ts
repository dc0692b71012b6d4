/**
 * The admin API's route table: the router dispatches on it and the OpenAPI document is generated
 * from it, so the two cannot disagree. Paths use OpenAPI templates ("/api/users/{address}").
 */
import { SERVICE_NAMES } from '../../config/schema.js';
import type { Binding } from '../../config/config.js';
import type { ServerControl } from './control.js';
import { tokenRows, type TokenIdentity } from './tokens.js';
import {
  ApiError, addUser, analyzerReport, failedLoginReport, insecureLoginReport, listCertificates, listUsers, loginFilter, readSection,
  removeUser, sectionNames, serviceAction, setPassword, updateSection,
} from './ops.js';
import { addAppPassword, listAppPasswords, removeAppPassword, updateUser } from './ops-accounts.js';
import { clearBlocks, importCertificate, listBlocks, removeCertificate, setStartupType } from './ops-server.js';

export type JsonSchema = { [key: string]: unknown };
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

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
  /** Error statuses beyond the usual 400/401/403/404 (e.g. 409), documented with the Error body. */
  errors?: Array<{ status: number; description: string }>;
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
const userRow = obj({
  address: str(), imapEnabled: { type: 'boolean' }, popEnabled: { type: 'boolean' }, quotaBytes: { type: ['integer', 'null'], description: 'Null: unlimited.' },
  backend: { type: ['string', 'null'], description: 'The backend pin (HOST[:PORT]) as `user set --backend` sets it; null: none.' }, usedBytes: { type: 'integer' }, createdAt: str(),
});
const userPatch: JsonSchema = {
  type: 'object', additionalProperties: false, minProperties: 1,
  properties: {
    backend: { type: ['string', 'null'], description: "HOST or HOST:PORT; '' or null removes the pin." },
    imapEnabled: { type: 'boolean' }, popEnabled: { type: 'boolean' },
    quotaBytes: { type: ['integer', 'null'], minimum: 0, description: 'Null: unlimited.' },
  },
};
const appPasswordRow = obj({ name: str(), protocols: arr({ type: 'string', enum: ['imap4', 'pop3', 'smtp'] }), createdAt: str(), lastUsedAt: { type: ['string', 'null'] } });
const certificateRow = obj({ name: str(), sans: arr(str()), notAfter: str(), daysLeft: { type: 'integer' }, expiry: str(), selfSigned: { type: 'boolean' }, testingOnly: { type: 'boolean' }, usedBy: arr(str()) });
const blocksReport = obj({ updatedAt: { type: ['string', 'null'], description: 'When the running server last wrote its blocks; null: never (not running).' }, blocks: arr(obj({ network: str(), until: str(), failures: { type: 'integer' } })) });
const finding = obj({ id: str(), severity: { type: 'string', enum: ['pass', 'info', 'warning', 'fail'] }, title: str(), detail: str(), fix: { type: ['string', 'null'], description: 'The exact command that fixes it.' } });
const ok = obj({ ok: { type: 'boolean' } });

const sectionParam: ParamSpec = { name: 'section', in: 'path', description: 'Settings section.', schema: { type: 'string', enum: sectionNames() } };
const serviceParam: ParamSpec = { name: 'name', in: 'path', description: 'Service name.', schema: { type: 'string', enum: [...SERVICE_NAMES] } };
const addressParam: ParamSpec = { name: 'address', in: 'path', description: 'Email address of the user.', schema: { type: 'string' } };
const appPasswordParam: ParamSpec = { name: 'name', in: 'path', description: 'Name of the app password.', schema: { type: 'string' } };
const certificateParam: ParamSpec = { name: 'name', in: 'path', description: 'Name of the stored certificate.', schema: { type: 'string' } };
const networkParam: ParamSpec = { name: 'address', in: 'path', description: 'An IP address, or a network as listed (URL-encoded, e.g. 2001:db8:0:1::%2F64).', schema: { type: 'string' } };
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
      method: 'PUT', path: '/api/services/{name}/startup-type', operationId: 'setStartupType', tag: 'services', write: true, auth: true,
      summary: 'Set the startup type (as service enable|disable); the running server starts an Automatic service and stops a Disabled one.',
      params: [serviceParam], requestBody: obj({ startupType: { type: 'string', enum: ['Automatic', 'Disabled'], description: 'Case-insensitive.' } }), response: serviceRow,
      run: async (ctx, req) => setStartupType(ctx.control, req.params.name, body(req).startupType),
    },
    {
      method: 'GET', path: '/api/certificates', operationId: 'listCertificates', summary: 'Stored certificates with expiry and the services using them.', tag: 'certificates', write: false, auth: true,
      params: [], response: arr(certificateRow),
      run: async (ctx) => listCertificates(ctx.control.dataDir),
    },
    {
      method: 'POST', path: '/api/certificates', operationId: 'importCertificate', tag: 'certificates', write: true, auth: true, status: 201,
      summary: 'Import a PEM certificate chain and its key (as cert import): a key that does not match, an expired certificate or a broken chain is refused.',
      params: [], requestBody: obj({ certificate: str('PEM chain, leaf first.'), key: str('PEM private key (unencrypted).'), name: str('Stored name; default: from the host name.') }, ['certificate', 'key']),
      response: certificateRow,
      run: async (ctx, req) => importCertificate(ctx.control, body(req)),
    },
    {
      method: 'DELETE', path: '/api/certificates/{name}', operationId: 'removeCertificate', tag: 'certificates', write: true, auth: true,
      summary: 'Remove a stored certificate; 409 while a service (imap4, pop3, submission, admin) uses it.',
      params: [certificateParam], response: ok, errors: [{ status: 409, description: 'A service uses the certificate.' }],
      run: async (ctx, req) => { await removeCertificate(ctx.control, req.params.name); return { ok: true }; },
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
      method: 'PATCH', path: '/api/users/{address}', operationId: 'updateUser', tag: 'users', write: true, auth: true,
      summary: 'Change a user: backend pin, IMAP/POP access, quota. Every field is checked before anything is written.',
      params: [addressParam], requestBody: userPatch, response: userRow,
      run: async (ctx, req) => updateUser(ctx.control, req.params.address, body(req)),
    },
    {
      method: 'PUT', path: '/api/users/{address}', operationId: 'setUser', tag: 'users', write: true, auth: true,
      summary: 'Same as PATCH: change the given fields (backend pin, IMAP/POP access, quota); others keep their value.',
      params: [addressParam], requestBody: userPatch, response: userRow,
      run: async (ctx, req) => updateUser(ctx.control, req.params.address, body(req)),
    },
    {
      method: 'GET', path: '/api/users/{address}/app-passwords', operationId: 'listAppPasswords', tag: 'users', write: false, auth: true,
      summary: "A user's app passwords: name, protocols, created, last used (never the secret).",
      params: [addressParam], response: arr(appPasswordRow),
      run: async (ctx, req) => listAppPasswords(ctx.control, req.params.address),
    },
    {
      method: 'POST', path: '/api/users/{address}/app-passwords', operationId: 'addAppPassword', tag: 'users', write: true, auth: true, status: 201,
      summary: 'Make an app password limited to some protocols; the reply holds the generated password, shown only this once.',
      errors: [{ status: 409, description: 'The name exists already, or the user has the most app passwords allowed.' }],
      params: [addressParam], requestBody: obj({ name: str('1 to 64 letters, digits, ".", "_", "-".'), protocols: arr({ type: 'string', enum: ['imap4', 'pop3', 'smtp'] }) }),
      response: { ...appPasswordRow, properties: { ...(appPasswordRow.properties as object), password: str('The generated password.') }, required: [...(appPasswordRow.required as string[]), 'password'] },
      run: async (ctx, req) => { const b = body(req); return addAppPassword(ctx.control, req.params.address, b.name, b.protocols); },
    },
    {
      method: 'DELETE', path: '/api/users/{address}/app-passwords/{name}', operationId: 'removeAppPassword', tag: 'users', write: true, auth: true,
      summary: 'Revoke an app password.',
      params: [addressParam, appPasswordParam], response: ok,
      run: async (ctx, req) => { await removeAppPassword(ctx.control, req.params.address, req.params.name); return { ok: true }; },
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
      method: 'GET', path: '/api/blocks', operationId: 'listBlocks', tag: 'blocks', write: false, auth: true,
      summary: 'Networks the running server blocks after too many failed logins (as auth blocks list).',
      params: [], response: blocksReport, run: async (ctx) => listBlocks(ctx.control),
    },
    {
      method: 'DELETE', path: '/api/blocks', operationId: 'clearBlocks', tag: 'blocks', write: true, auth: true,
      summary: 'Lift every block (as auth blocks clear); answers once the running server has applied it, 503 if it does not within a few seconds.',
      params: [], response: { ...blocksReport, properties: { ...(blocksReport.properties as object), cleared: str() } },
      errors: [{ status: 503, description: 'The running server did not apply the request in time (the request stays queued).' }],
      run: async (ctx) => clearBlocks(ctx.control, null),
    },
    {
      method: 'DELETE', path: '/api/blocks/{address}', operationId: 'clearBlock', tag: 'blocks', write: true, auth: true,
      summary: 'Lift the block of one address or network (as auth blocks clear ADDRESS).',
      params: [networkParam], response: { ...blocksReport, properties: { ...(blocksReport.properties as object), cleared: str() } },
      errors: [{ status: 503, description: 'The running server did not apply the request in time (the request stays queued).' }],
      run: async (ctx, req) => clearBlocks(ctx.control, req.params.address),
    },
    {
      method: 'GET', path: '/api/tokens', operationId: 'listTokens', tag: 'tokens', write: false, auth: true,
      summary: 'Admin API tokens (as admin token list): scope, created, last used, expiry; never the secret.',
      params: [],
      response: arr(obj({
        name: str(), scope: { type: 'string', enum: ['read-only', 'read-write'] }, createdAt: str(),
        lastUsedAt: { type: ['string', 'null'], description: 'To the minute; null: never used.' }, expiresAt: { type: ['string', 'null'], description: 'Null: never expires.' }, expired: { type: 'boolean' },
      })),
      run: async (ctx) => tokenRows(ctx.control.dataDir),
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
