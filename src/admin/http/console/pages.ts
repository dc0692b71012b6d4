/** The console's pages, rendered on the server from the same operations as the JSON API. */
import type { SettingDef, SettingValue } from '../../../config/schema.js';
import type { Finding } from '../../../observe/analyzer.js';
import type { FailedLoginRow, LoginReportRow } from '../../../observe/security-log.js';
import type { ServiceRow } from '../control.js';
import { BACKEND_OF } from '../control.js';
import type { CertificateRow, SettingRow, UserRow } from '../ops.js';
import type { AppPasswordRow } from '../ops-accounts.js';
import type { BlocksReport } from '../ops-server.js';
import { isStringKey, t, type Lang, type StringKey } from './strings.js';
import { findingText } from './finding-texts.js';
import { allowedIn, hintOf, settingDescription, translateHint } from './setting-texts.js';
import { inputPattern } from './input-pattern.js';
import { buttonForm, csrfField, esc, page, table, type Flash, type PageEnv } from './render.js';

const STATUS_KEY: Record<ServiceRow['status'], StringKey> = { Running: 'status_running', Stopped: 'status_stopped', Degraded: 'status_degraded' };

export function statusText(env: PageEnv, status: ServiceRow['status']): string {
  return t(env.lang, STATUS_KEY[status]);
}

export function servicesPage(env: PageEnv, rows: ServiceRow[], flash?: Flash | null): string {
  const L = env.lang;
  const canWrite = env.identity?.scope === 'read-write';
  const body = table(
    [t(L, 'col_name'), t(L, 'col_startup_type'), t(L, 'col_status'), ...(canWrite ? [t(L, 'col_actions')] : [])],
    rows.map((r) => [
      `<code>${esc(r.name)}</code>`,
      esc(t(L, r.startupType === 'Automatic' ? 'startup_automatic' : 'startup_disabled')),
      `<span class="badge s-${esc(r.status)}" data-service="${esc(r.name)}" data-status="${esc(r.status)}">${esc(statusText(env, r.status))}</span>`,
      ...(canWrite ? [`<div class="actions">${r.status === 'Stopped'
        ? buttonForm(env, `/console/services/${r.name}/start`, t(L, 'action_start'))
        : buttonForm(env, `/console/services/${r.name}/stop`, t(L, 'action_stop'), { secondary: true }) + buttonForm(env, `/console/services/${r.name}/restart`, t(L, 'action_restart'), { secondary: true })}</div>`] : []),
    ]),
  );
  const degraded = rows.some((r) => r.status === 'Degraded' && BACKEND_OF[r.name]) ? `<p class="notice">${esc(t(L, 'degraded_hint'))}</p>` : '';
  return page(env, t(L, 'services_title'), degraded + body, flash);
}

export function displayValue(value: SettingValue): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

function sectionTitle(env: PageEnv, section: string): string {
  const key = `section_${section}`;
  return isStringKey(key) ? t(env.lang, key) : section;
}

function input(env: PageEnv, def: SettingDef, id: string, value: string, describedBy: string, invalid: boolean): string {
  const common = `id="${id}" name="${esc(def.name)}" aria-describedby="${describedBy}"${invalid ? ' aria-invalid="true"' : ''}${env.identity?.scope === 'read-write' ? '' : ' disabled'}`;
  const ty = def.type;
  if (ty.kind === 'enum' || ty.kind === 'bool') {
    const values = ty.kind === 'enum' ? [...ty.values] : ['true', 'false'];
    const label = (v: string): string => (ty.kind === 'bool' ? t(env.lang, v === 'true' ? 'value_true' : 'value_false') : v);
    return `<select ${common}>${values.map((v) => `<option value="${esc(v)}"${v === value ? ' selected' : ''}>${esc(label(v))}</option>`).join('')}</select>`;
  }
  if (ty.kind === 'int') return `<input type="number" inputmode="numeric" step="1" min="${ty.min}" max="${ty.max}" required value="${esc(value)}" data-check ${common}>`;
  const maxLength = ty.kind === 'string' && ty.maxLength !== undefined ? ` maxlength="${ty.maxLength}"` : '';
  const { pattern, required } = inputPattern(ty);
  const hint = hintOf(def);
  const checks = `${pattern !== null ? ` pattern="${esc(pattern)}"` : ''}${required ? ' required' : ''}${hint !== null ? ` title="${esc(translateHint(env.lang, hint))}"` : ''}`;
  return `<input type="text" value="${esc(value)}"${maxLength}${checks} data-check ${common}>`;
}

export function settingsPage(
  env: PageEnv, section: string, sections: string[], defs: SettingDef[], rows: SettingRow[],
  submitted: Record<string, string> | null, errors: Record<string, string>, flash?: Flash | null,
): string {
  const L = env.lang;
  const tabs = `<ul class="sections">${sections.map((s) => `<li><a href="/console/settings/${esc(s)}"${s === section ? ' aria-current="page"' : ''}>${esc(sectionTitle(env, s))}</a></li>`).join('')}</ul>`;
  const fields = defs.map((def) => {
    const row = rows.find((r) => r.name === def.name)!;
    const id = `f-${def.name}`;
    const value = submitted?.[def.name] ?? displayValue(row.value);
    const error = errors[def.name];
    const hints = [
      esc(settingDescription(L, section, def)),
      esc(t(L, 'allowed_is', { value: allowedIn(L, def) })),
      esc(t(L, 'default_is', { value: displayValue(row.default) || '""' })),
      esc(t(L, row.apply === 'live' ? 'applies_live' : 'applies_restart')) + (row.exchange ? ' · ' + esc(t(L, 'exchange_is', { value: row.exchange })) : ''),
    ];
    return `<div class="field" data-setting="${esc(def.name)}">
<label for="${id}">${esc(def.name)}${row.changed ? ` <span class="badge">${esc(t(L, 'changed_badge'))}</span>` : ''}</label>
${input(env, def, id, value, `${id}-hint ${id}-error`, Boolean(error))}
<p class="error" id="${id}-error" aria-live="polite"${error ? ' data-server="1"' : ''}>${esc(error ?? '')}</p>
<p class="hint" id="${id}-hint">${hints.join('<br>')}</p></div>`;
  }).join('\n');
  const errorSummary = Object.keys(errors).length ? { kind: 'bad' as const, text: t(L, 'fix_errors') + (errors[''] ? ' ' + errors[''] : '') } : null;
  const save = env.identity?.scope === 'read-write' ? `<button type="submit">${esc(t(L, 'save'))}</button>` : '';
  const body = `${tabs}<form method="post" action="/console/settings/${esc(section)}" novalidate>${csrfField(env)}${fields}${save}</form>`;
  return page(env, t(L, 'settings_title', { section: sectionTitle(env, section) }), body, errorSummary ?? flash);
}

const EXPIRY_KEY: Record<CertificateRow['expiry'], StringKey> = {
  ok: 'expiry_ok', 'expires-in-60-days': 'expiry_60', 'expires-in-30-days': 'expiry_30', 'expires-in-7-days': 'expiry_7', expired: 'expiry_expired',
};

export function certificatesPage(env: PageEnv, rows: CertificateRow[]): string {
  const L = env.lang;
  const body = rows.length
    ? table([t(L, 'col_name'), t(L, 'col_names'), t(L, 'col_expires'), t(L, 'col_days_left'), t(L, 'col_key'), t(L, 'col_used_by')], rows.map((c) => [
      `<code>${esc(c.name)}</code>${c.testingOnly ? ` <span class="badge sev-warning">${esc(t(L, 'testing_only'))}</span>` : c.selfSigned ? ` <span class="badge">${esc(t(L, 'self_signed'))}</span>` : ''}`,
      esc(c.sans.join(', ')),
      `<time datetime="${esc(c.notAfter)}">${esc(c.notAfter.slice(0, 10))}</time>`,
      `${c.daysLeft} <span class="badge ${c.expiry === 'ok' ? 'sev-pass' : c.expiry === 'expires-in-60-days' ? 'sev-info' : c.expiry === 'expires-in-30-days' ? 'sev-warning' : 'sev-fail'}">${esc(t(L, EXPIRY_KEY[c.expiry]))}</span>`,
      esc(`${c.keyType} ${c.keySize}`),
      esc(c.usedBy.join(', ') || '-'),
    ]))
    : `<p>${esc(t(L, 'no_certificates'))}</p>`;
  return page(env, t(L, 'certificates_title'), body);
}

export function usersPage(env: PageEnv, rows: UserRow[], flash?: Flash | null, formError?: { field: string; message: string } | null): string {
  const L = env.lang;
  const canWrite = env.identity?.scope === 'read-write';
  const list = rows.length
    ? table([
      t(L, 'col_address'), t(L, 'col_imap'), t(L, 'col_pop'), t(L, 'col_quota'), t(L, 'col_used'), t(L, 'col_backend'), t(L, 'col_created'), t(L, 'app_passwords_link'),
      ...(canWrite ? [t(L, 'col_actions')] : []),
    ], rows.map((u) => [
      esc(u.address), esc(t(L, u.imapEnabled ? 'access_on' : 'access_off')), esc(t(L, u.popEnabled ? 'access_on' : 'access_off')),
      esc(u.quotaBytes === null ? t(L, 'quota_unlimited') : String(u.quotaBytes)), String(u.usedBytes),
      u.backend ? `<code>${esc(u.backend)}</code>` : esc(t(L, 'no_backend_pin')), esc(u.createdAt.slice(0, 10)),
      `<a href="/console/users/app-passwords?address=${encodeURIComponent(u.address)}">${esc(t(L, 'app_passwords_link'))}</a>`,
      ...(canWrite ? [buttonForm(env, '/console/users/remove', t(L, 'remove_button'), { secondary: true, confirm: t(L, 'confirm_remove'), hidden: { address: u.address } })] : []),
    ]))
    : `<p>${esc(t(L, 'no_users'))}</p>`;
  const err = (field: string): string => (formError?.field === field ? `<p class="error" id="add-${field}-error">${esc(formError.message)}</p>` : '');
  const forms = canWrite ? `
<h2>${esc(t(L, 'add_user'))}</h2>
<form method="post" action="/console/users/add">${csrfField(env)}
<div class="field"><label for="add-address">${esc(t(L, 'address_label'))}</label><input id="add-address" name="address" type="email" required autocomplete="off"${formError?.field === 'address' ? ' aria-invalid="true" aria-describedby="add-address-error"' : ''}>${err('address')}</div>
<div class="field"><label for="add-password">${esc(t(L, 'password_label'))}</label><input id="add-password" name="password" type="password" minlength="8" required autocomplete="new-password" aria-describedby="add-password-hint${formError?.field === 'password' ? ' add-password-error' : ''}"><p class="hint" id="add-password-hint">${esc(t(L, 'password_hint'))}</p>${err('password')}</div>
<button type="submit">${esc(t(L, 'add_button'))}</button></form>
<h2>${esc(t(L, 'passwd_title'))}</h2>
<form method="post" action="/console/users/passwd">${csrfField(env)}
<div class="field"><label for="pw-address">${esc(t(L, 'address_label'))}</label><input id="pw-address" name="address" type="email" required autocomplete="off"></div>
<div class="field"><label for="pw-password">${esc(t(L, 'new_password_label'))}</label><input id="pw-password" name="password" type="password" minlength="8" required autocomplete="new-password"></div>
<button type="submit">${esc(t(L, 'passwd_button'))}</button></form>` : '';
  return page(env, t(L, 'users_title'), list + forms, flash);
}

/** Failure reasons with counts, in words; the key stays in data-reason (and is shown for a reason not known here). */
function reasonsCell(lang: Lang, reasons: Record<string, number>): string {
  return Object.entries(reasons).map(([key, count]) => {
    const name = `reason_${key}`;
    return `<span data-reason="${esc(key)}">${esc(isStringKey(name) ? t(lang, name) : key)}: ${count}</span>`;
  }).join(', ');
}

/** One user's app passwords (never their secrets), each with a revoke button for read-write tokens. */
export function appPasswordsPage(env: PageEnv, address: string, rows: AppPasswordRow[], flash?: Flash | null): string {
  const L = env.lang;
  const canWrite = env.identity?.scope === 'read-write';
  const list = rows.length
    ? table([t(L, 'col_name'), t(L, 'col_protocols'), t(L, 'col_created'), t(L, 'col_last_used'), ...(canWrite ? [t(L, 'col_actions')] : [])], rows.map((a) => [
      `<code>${esc(a.name)}</code>`, esc(a.protocols.join(', ')), esc(a.createdAt.slice(0, 10)),
      a.lastUsedAt ? `<time datetime="${esc(a.lastUsedAt)}">${esc(a.lastUsedAt.slice(0, 16).replace('T', ' '))}</time>` : esc(t(L, 'never_used')),
      ...(canWrite ? [buttonForm(env, '/console/users/app-passwords/revoke', t(L, 'revoke_button'), { secondary: true, confirm: t(L, 'confirm_revoke'), hidden: { address, name: a.name } })] : []),
    ]))
    : `<p>${esc(t(L, 'no_app_passwords'))}</p>`;
  const body = `<p>${esc(t(L, 'app_passwords_intro'))}</p>\n${list}\n<p><a href="/console/users">${esc(t(L, 'back_to_users'))}</a></p>`;
  return page(env, t(L, 'app_passwords_title', { address }), body, flash);
}

/** Networks the running server blocks, with a clear button each and one for all. */
export function blocksPage(env: PageEnv, report: BlocksReport, flash?: Flash | null): string {
  const L = env.lang;
  const canWrite = env.identity?.scope === 'read-write';
  const list = report.blocks.length
    ? table([t(L, 'col_network'), t(L, 'col_until'), t(L, 'col_failures'), ...(canWrite ? [t(L, 'col_actions')] : [])], report.blocks.map((b) => [
      `<code data-network="${esc(b.network)}">${esc(b.network)}</code>`, `<time datetime="${esc(b.until)}">${esc(b.until.slice(0, 19).replace('T', ' '))}</time>`, String(b.failures),
      ...(canWrite ? [buttonForm(env, '/console/blocks/clear', t(L, 'clear_button'), { secondary: true, hidden: { network: b.network } })] : []),
    ])) + (canWrite ? buttonForm(env, '/console/blocks/clear', t(L, 'clear_all_button')) : '')
    : `<p>${esc(t(L, report.updatedAt ? 'no_blocks' : 'blocks_unknown'))}</p>`;
  return page(env, t(L, 'blocks_title'), `<p>${esc(t(L, 'blocks_intro'))}</p>\n${list}`, flash);
}

export function loginsPage(env: PageEnv, insecure: LoginReportRow[], failed: FailedLoginRow[]): string {
  const L = env.lang;
  const cols = [t(L, 'col_last_seen'), t(L, 'col_first_seen'), t(L, 'col_count'), t(L, 'col_protocol'), t(L, 'col_client'), t(L, 'col_user')];
  const cells = (r: LoginReportRow): string[] => [esc(r.lastSeen), esc(r.firstSeen), String(r.count), esc(r.protocol), esc(r.clientAddress), esc(r.user)];
  const body = `<p>${esc(t(L, 'logins_intro'))}</p>
${insecure.length ? table(cols, insecure.map(cells)) : `<p>${esc(t(L, 'no_insecure_logins'))}</p>`}
<h2>${esc(t(L, 'failed_title'))}</h2>
${failed.length ? table([...cols, t(L, 'col_reasons')], failed.map((r) => [...cells(r), reasonsCell(L, r.reasons)])) : `<p>${esc(t(L, 'no_failed_logins'))}</p>`}`;
  return page(env, t(L, 'logins_title'), body);
}

const SEVERITY_KEY: Record<Finding['severity'], StringKey> = { pass: 'severity_pass', info: 'severity_info', warning: 'severity_warning', fail: 'severity_fail' };

function findingBox(env: PageEnv, f: Finding): string {
  return `<article class="finding sev-${f.severity}" data-finding="${esc(f.id)}" data-severity="${f.severity}">
<h3><span class="badge sev-${f.severity}">${esc(t(env.lang, SEVERITY_KEY[f.severity]))}</span> ${esc(findingText(env.lang, f.title))} <small><code>${esc(f.id)}</code></small></h3>
${f.detail ? `<p>${esc(findingText(env.lang, f.detail))}</p>` : ''}${f.fix ? `<p>${esc(t(env.lang, 'col_fix'))}: <code>${esc(f.fix)}</code></p>` : ''}</article>`;
}

export function analyzerPage(env: PageEnv, worst: Finding['severity'], findings: Finding[]): string {
  const L = env.lang;
  const order = ['fail', 'warning', 'info'];
  const problems = findings.filter((f) => f.severity !== 'pass').sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
  const passed = findings.filter((f) => f.severity === 'pass');
  const body = `<p>${esc(t(L, 'analyzer_intro'))}</p>
<p><span class="badge sev-${worst}" id="worst">${esc(t(L, 'worst_is', { severity: t(L, SEVERITY_KEY[worst]) }))}</span></p>
<section aria-labelledby="problems"><h2 id="problems">${esc(t(L, 'problems_title'))}</h2>
${problems.length ? problems.map((f) => findingBox(env, f)).join('\n') : `<p>${esc(t(L, 'no_problems'))}</p>`}</section>
<details><summary>${esc(t(L, 'passed_title', { count: passed.length }))}</summary><div id="passed">${passed.map((f) => findingBox(env, f)).join('\n')}</div></details>`;
  return page(env, t(L, 'analyzer_title'), body);
}

export function loginPage(env: PageEnv, failed: boolean): string {
  const L = env.lang;
  const body = `<p>${esc(t(L, 'login_intro'))}</p>
<form method="post" action="/console/login">
<div class="field"><label for="token">${esc(t(L, 'token_label'))}</label><input id="token" name="token" type="password" required autocomplete="off"${failed ? ' aria-invalid="true" aria-describedby="token-error"' : ''}>
${failed ? `<p class="error" id="token-error">${esc(t(L, 'login_failed'))}</p>` : ''}</div>
<button type="submit">${esc(t(L, 'login_button'))}</button></form>`;
  return page(env, t(L, 'login_title'), body);
}

export function messagePage(env: PageEnv, title: string, text: string): string {
  return page(env, title, `<p class="notice bad" role="alert">${esc(text)}</p><p><a href="/console/">${esc(t(env.lang, 'back'))}</a></p>`);
}
