/** HTML building blocks of the console: escaping, the page frame with navigation and language switch. */
import { LANGUAGES, LANGUAGE_NAMES, t, type Lang, type StringKey } from './strings.js';
import type { TokenIdentity } from '../tokens.js';

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface PageEnv {
  lang: Lang;
  /** Path of this page, e.g. /console/users (for the language switch and navigation). */
  path: string;
  identity: TokenIdentity | null;
  csrf: string;
}

export interface Flash {
  kind: 'ok' | 'bad' | 'info';
  text: string;
}

const NAV: Array<[string, StringKey]> = [
  ['/console/', 'nav_services'],
  ['/console/settings/imap', 'nav_settings'],
  ['/console/certificates', 'nav_certificates'],
  ['/console/users', 'nav_users'],
  ['/console/blocks', 'nav_blocks'],
  ['/console/logins', 'nav_logins'],
  ['/console/analyzer', 'nav_analyzer'],
];

export function csrfField(env: PageEnv): string {
  return `<input type="hidden" name="csrf" value="${esc(env.csrf)}">`;
}

/** A POST form holding one button (start/stop/remove ...). */
export function buttonForm(env: PageEnv, action: string, label: string, opts: { secondary?: boolean; confirm?: string; hidden?: Record<string, string> } = {}): string {
  const hidden = Object.entries(opts.hidden ?? {}).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  return `<form method="post" action="${esc(action)}"${opts.confirm ? ` data-confirm="${esc(opts.confirm)}"` : ''}>${csrfField(env)}${hidden}<button type="submit"${opts.secondary ? ' class="secondary"' : ''}>${esc(label)}</button></form>`;
}

export function flashBox(flash: Flash | null | undefined): string {
  if (!flash) return '';
  return `<p class="notice ${flash.kind}" role="${flash.kind === 'bad' ? 'alert' : 'status'}">${esc(flash.text)}</p>`;
}

function languageSwitch(env: PageEnv): string {
  const options = LANGUAGES.map((l) => `<option value="${l}" lang="${l}"${l === env.lang ? ' selected' : ''}>${esc(LANGUAGE_NAMES[l])}</option>`).join('');
  return `<form method="get" action="/console/lang"><label for="lang-select">${esc(t(env.lang, 'language'))}</label>
<select id="lang-select" name="lang">${options}</select><input type="hidden" name="next" value="${esc(env.path)}">
<button type="submit" id="lang-submit" class="secondary">${esc(t(env.lang, 'change_language'))}</button></form>`;
}

export function page(env: PageEnv, title: string, body: string, flash?: Flash | null): string {
  const L = env.lang;
  const current = (href: string): boolean => href === env.path || (href.startsWith('/console/settings/') && env.path.startsWith('/console/settings/'));
  const nav = env.identity
    ? `<nav aria-label="${esc(t(L, 'nav_label'))}"><ul>${NAV.map(([href, key]) => `<li><a href="${href}"${current(href) ? ' aria-current="page"' : ''}>${esc(t(L, key))}</a></li>`).join('')}</ul></nav>`
    : '';
  const logout = env.identity
    ? `<form method="post" action="/console/logout">${csrfField(env)}<button type="submit" class="secondary">${esc(t(L, 'logout'))}</button></form>`
    : '';
  const readOnly = env.identity?.scope === 'read-only' ? `<p class="notice">${esc(t(L, 'read_only_notice'))}</p>` : '';
  return `<!doctype html>
<html lang="${L}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${esc(t(L, 'app_title'))}</title>
<link rel="stylesheet" href="/console/static/console.css"><script src="/console/static/console.js" defer></script></head>
<body><a class="skip" href="#main">${esc(t(L, 'skip_link'))}</a>
<header><a class="brand" href="/console/">${esc(t(L, 'app_title'))}</a>${nav}<div>${languageSwitch(env)} ${logout}</div></header>
<main id="main" tabindex="-1"><h1>${esc(title)}</h1>${readOnly}${flashBox(flash)}
${body}
</main></body></html>
`;
}

export function table(headers: string[], rows: string[][], caption?: string): string {
  return `<table>${caption ? `<caption>${esc(caption)}</caption>` : ''}<thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
}
