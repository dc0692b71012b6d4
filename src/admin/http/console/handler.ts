/**
 * The console's router: login with a token (kept in an HttpOnly SameSite=Strict cookie), CSRF
 * token (an HMAC of the session token) on every form, Origin checked on every POST, read-only
 * tokens refused on writes, results shown after a redirect (POST/redirect/GET).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../../core/log.js';
import type { ApiContext } from '../routes.js';
import type { TokenIdentity } from '../tokens.js';
import {
  ApiError, addUser, analyzerReport, failedLoginReport, insecureLoginReport, listCertificates, listUsers, readSection, removeUser,
  sectionDefs, sectionNames, serviceAction, setPassword, updateSection, type ServiceAction,
} from '../ops.js';
import { listAppPasswords, removeAppPassword } from '../ops-accounts.js';
import { clearBlocks, listBlocks } from '../ops-server.js';
import { SECURITY_HEADERS, parseCookies, readBody } from '../http-util.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { pickLanguage, t, type Lang } from './strings.js';
import { translateError } from './error-texts.js';
import type { Flash, PageEnv } from './render.js';
import { analyzerPage, appPasswordsPage, blocksPage, certificatesPage, displayValue, loginPage, loginsPage, messagePage, servicesPage, settingsPage, statusText, usersPage } from './pages.js';

export interface ConsoleEnv {
  ctx: ApiContext;
  identify: (secret: string | null) => TokenIdentity | null;
  secure: boolean;
  /** Per-server secret for CSRF tokens. */
  secret: Buffer;
  logger: Logger;
}

const TOKEN_COOKIE = 'pc_token';
const LANG_COOKIE = 'pc_lang';
const CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function cookie(env: ConsoleEnv, name: string, value: string, opts: { httpOnly: boolean; maxAge?: number }): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; SameSite=Strict${opts.httpOnly ? '; HttpOnly' : ''}${env.secure ? '; Secure' : ''}${opts.maxAge !== undefined ? `; Max-Age=${opts.maxAge}` : ''}`;
}

function csrfFor(env: ConsoleEnv, token: string): string {
  return createHmac('sha256', env.secret).update(token).digest('base64url');
}

function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Security-Policy': CSP, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(html)), ...headers });
  res.end(html);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: location, ...headers });
  res.end();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) throw new ApiError(415, 'content-type: not allowed (allowed: application/x-www-form-urlencoded)');
  return new URLSearchParams((await readBody(req)).toString('utf8'));
}

/** A POST must come from a page of this server: Origin (or Referer) must name this host. */
function sameOrigin(req: IncomingMessage): boolean {
  try {
    const origin = req.headers.origin ?? (req.headers.referer ? new URL(req.headers.referer).origin : undefined);
    if (!origin || origin === 'null') return req.headers['sec-fetch-site'] === undefined || req.headers['sec-fetch-site'] === 'same-origin';
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function flashFrom(lang: Lang, q: URLSearchParams): Flash | null {
  const v = (k: string): string => q.get(k) ?? '';
  switch (q.get('msg')) {
    case 'saved': return { kind: 'ok', text: t(lang, 'saved') };
    case 'service': return { kind: 'ok', text: t(lang, 'service_done', { name: v('name'), status: statusText({ lang } as PageEnv, (['Running', 'Stopped', 'Degraded'].includes(v('status')) ? v('status') : 'Stopped') as 'Running') }) };
    case 'added': return { kind: 'ok', text: t(lang, 'user_added', { address: v('address') }) };
    case 'removed': return { kind: 'ok', text: t(lang, 'user_removed', { address: v('address') }) };
    case 'passwd': return { kind: 'ok', text: t(lang, 'password_changed', { address: v('address') }) };
    case 'revoked': return { kind: 'ok', text: t(lang, 'app_password_revoked', { name: v('name') }) };
    case 'cleared': return { kind: 'ok', text: t(lang, 'blocks_cleared', { network: v('network') || t(lang, 'blocks_all') }) };
    default: return null;
  }
}

export async function handleConsole(env: ConsoleEnv, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  const method = (req.method ?? 'GET').toUpperCase();
  if (path === '/console/static/console.css' || path === '/console/static/console.js') {
    const css = path.endsWith('.css');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Cache-Control': 'max-age=300', 'Content-Type': css ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8' });
    res.end(css ? CONSOLE_CSS : CONSOLE_JS);
    return;
  }
  const cookies = parseCookies(req.headers.cookie);
  const lang = pickLanguage(cookies[LANG_COOKIE], req.headers['accept-language']);
  if (path === '/console/lang') {
    const chosen = pickLanguage(url.searchParams.get('lang') ?? undefined, undefined);
    const next = url.searchParams.get('next') ?? '/console/';
    const safe = /^\/console\/[A-Za-z0-9/_-]*(\?address=[A-Za-z0-9%._~!*'()-]*)?$/.test(next) ? next : '/console/';
    return redirect(res, safe, { 'Set-Cookie': cookie(env, LANG_COOKIE, chosen, { httpOnly: false, maxAge: 365 * 86400 }) });
  }
  const token = cookies[TOKEN_COOKIE] ?? null;
  const identity = env.identify(token);
  const pageEnv: PageEnv = { lang, path, identity, csrf: token && identity ? csrfFor(env, token) : '' };

  if (path === '/console/login') {
    if (method === 'GET') return sendHtml(res, 200, loginPage(pageEnv, false));
    if (method !== 'POST') throw new ApiError(405, 'method: not allowed (allowed: GET, POST)');
    if (!sameOrigin(req)) return sendHtml(res, 403, messagePage(pageEnv, t(lang, 'error_title'), t(lang, 'csrf_failed')));
    const form = await readForm(req);
    const given = (form.get('token') ?? '').trim();
    const who = env.identify(given);
    if (!who) {
      env.logger.warn('admin-console-login-failed', { client: req.socket.remoteAddress });
      return sendHtml(res, 401, loginPage({ ...pageEnv, identity: null }, true));
    }
    env.logger.info('admin-console-login', { by: who.name, client: req.socket.remoteAddress });
    return redirect(res, '/console/', { 'Set-Cookie': cookie(env, TOKEN_COOKIE, given, { httpOnly: true }) });
  }
  if (!identity) {
    if (method === 'GET') return redirect(res, '/console/login');
    return sendHtml(res, 401, loginPage(pageEnv, false));
  }

  if (method === 'POST') {
    if (!sameOrigin(req)) return sendHtml(res, 403, messagePage(pageEnv, t(lang, 'error_title'), t(lang, 'csrf_failed')));
    const form = await readForm(req);
    const sent = Buffer.from(form.get('csrf') ?? '');
    const want = Buffer.from(pageEnv.csrf);
    if (sent.length !== want.length || !timingSafeEqual(sent, want)) return sendHtml(res, 403, messagePage(pageEnv, t(lang, 'error_title'), t(lang, 'csrf_failed')));
    if (path === '/console/logout') return redirect(res, '/console/login', { 'Set-Cookie': cookie(env, TOKEN_COOKIE, '', { httpOnly: true, maxAge: 0 }) });
    if (identity.scope !== 'read-write') return sendHtml(res, 403, messagePage(pageEnv, t(lang, 'error_title'), t(lang, 'forbidden_read_only')));
    return post(env, pageEnv, res, path, form);
  }
  if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, 'method: not allowed (allowed: GET, POST)');
  return get(env, pageEnv, res, path, url.searchParams);
}

async function get(env: ConsoleEnv, p: PageEnv, res: ServerResponse, path: string, q: URLSearchParams): Promise<void> {
  const { control, bindings } = env.ctx;
  const flash = flashFrom(p.lang, q);
  if (path === '/console/' || path === '/console') return sendHtml(res, 200, servicesPage(p, control.services(), flash));
  const settings = /^\/console\/settings\/([a-z0-9-]+)$/.exec(path);
  if (settings && sectionNames().includes(settings[1])) {
    const section = settings[1];
    return sendHtml(res, 200, settingsPage(p, section, sectionNames(), sectionDefs(section), readSection(control.dataDir, section), null, {}, flash));
  }
  if (path === '/console/certificates') return sendHtml(res, 200, certificatesPage(p, listCertificates(control.dataDir)));
  if (path === '/console/users') return sendHtml(res, 200, usersPage(p, await listUsers(control), flash));
  if (path === '/console/users/app-passwords') {
    const address = q.get('address') ?? '';
    // The language switch comes back to this page with its address.
    const here = { ...p, path: `${path}?address=${encodeURIComponent(address.toLowerCase())}` };
    return sendHtml(res, 200, appPasswordsPage(here, address.toLowerCase(), await listAppPasswords(control, address), flash));
  }
  if (path === '/console/blocks') return sendHtml(res, 200, blocksPage(p, listBlocks(control), flash));
  if (path === '/console/logins') {
    return sendHtml(res, 200, loginsPage(p, await insecureLoginReport(control.dataDir, {}), await failedLoginReport(control.dataDir, {})));
  }
  if (path === '/console/analyzer') {
    const report = await analyzerReport(control.dataDir, bindings);
    return sendHtml(res, 200, analyzerPage(p, report.worst, report.findings));
  }
  return sendHtml(res, 404, messagePage(p, t(p.lang, 'error_title'), t(p.lang, 'not_found')));
}

async function post(env: ConsoleEnv, p: PageEnv, res: ServerResponse, path: string, form: URLSearchParams): Promise<void> {
  const { control } = env.ctx;
  const service = /^\/console\/services\/([a-z0-9-]+)\/(start|stop|restart)$/.exec(path);
  if (service) {
    const row = await serviceAction(control, service[1], service[2] as ServiceAction);
    return redirect(res, `/console/?msg=service&name=${encodeURIComponent(row.name)}&status=${row.status}`);
  }
  const settings = /^\/console\/settings\/([a-z0-9-]+)$/.exec(path);
  if (settings && sectionNames().includes(settings[1])) {
    const section = settings[1];
    const defs = sectionDefs(section);
    const current = readSection(control.dataDir, section);
    const submitted: Record<string, string> = {};
    const changes: Record<string, string> = {};
    for (const def of defs) {
      const v = form.get(def.name);
      if (v === null) continue;
      submitted[def.name] = v;
      const row = current.find((r) => r.name === def.name)!;
      if (v !== displayValue(row.value)) changes[def.name] = v;
    }
    if (Object.keys(changes).length) {
      try {
        await updateSection(control, section, changes);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 400) throw err;
        const errors: Record<string, string> = {};
        for (const e of err.errors ?? [{ setting: err.setting ?? '', message: err.message }]) errors[e.setting] = translateError(p.lang, e.message);
        return sendHtml(res, 400, settingsPage(p, section, sectionNames(), defs, current, submitted, errors));
      }
    }
    return redirect(res, `/console/settings/${section}?msg=saved`);
  }
  if (path === '/console/users/add' || path === '/console/users/passwd' || path === '/console/users/remove') {
    const address = form.get('address') ?? '';
    try {
      if (path.endsWith('/add')) await addUser(control, address, form.get('password') ?? '');
      else if (path.endsWith('/passwd')) await setPassword(control, address, form.get('password') ?? '');
      else await removeUser(control, address);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500) throw err;
      const field = err.setting === 'password' ? 'password' : 'address';
      return sendHtml(res, err.status, usersPage(p, await listUsers(control), { kind: 'bad', text: err.message }, path.endsWith('/add') ? { field, message: err.message } : null));
    }
    const msg = path.endsWith('/add') ? 'added' : path.endsWith('/passwd') ? 'passwd' : 'removed';
    return redirect(res, `/console/users?msg=${msg}&address=${encodeURIComponent(address.toLowerCase())}`);
  }
  if (path === '/console/users/app-passwords/revoke') {
    const address = form.get('address') ?? '';
    const name = form.get('name') ?? '';
    try {
      await removeAppPassword(control, address, name);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500 || err.setting !== 'name') throw err;
      return sendHtml(res, err.status, appPasswordsPage(p, address.toLowerCase(), await listAppPasswords(control, address), { kind: 'bad', text: err.message }));
    }
    return redirect(res, `/console/users/app-passwords?address=${encodeURIComponent(address.toLowerCase())}&msg=revoked&name=${encodeURIComponent(name)}`);
  }
  if (path === '/console/blocks/clear') {
    const network = form.get('network') || null;
    let done;
    try {
      done = await clearBlocks(control, network);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return sendHtml(res, err.status, blocksPage(p, listBlocks(control), { kind: 'bad', text: err.message }));
    }
    return redirect(res, `/console/blocks?msg=cleared&network=${encodeURIComponent(network === null ? '' : done.cleared)}`);
  }
  return sendHtml(res, 404, messagePage(p, t(p.lang, 'error_title'), t(p.lang, 'not_found')));
}
