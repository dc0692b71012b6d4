/**
 * Analyzer checks of internal- and external-connection-settings (what clients are told to use,
 * Exchange's host:port:SSL|TLS| form). An entry without encryption tells clients to connect in
 * the clear: a **fail** under PlainTextLogin (passwords would cross the network), a **warning**
 * otherwise (such clients cannot log in at all, or only with mechanisms that hide the password).
 * Whether the certificate names these hosts is checked with the certificates (analyzer-certs.ts).
 */
import type { Finding, ProtocolFacts } from './analyzer.js';

export function connectionSettingsChecks(p: ProtocolFacts): Finding[] {
  const entries = p.connectionSettings ?? [];
  if (!entries.length) return [];
  const id = `connection-settings.${p.protocol}`;
  const clear = entries.filter((e) => e.encryption === '');
  if (!clear.length) {
    return [{ id, severity: 'pass', title: `${p.protocol}: connection settings use TLS`, detail: entries.map((e) => e.entry).join(', '), fix: null }];
  }
  const bySetting = new Map<string, string[]>();
  for (const e of entries) bySetting.set(e.setting, [...(bySetting.get(e.setting) ?? []), e.encryption === '' ? `${e.entry}TLS` : e.entry]);
  const fix = [...bySetting].filter(([setting]) => clear.some((c) => c.setting === setting))
    .map(([setting, list]) => `portcullis ${p.section} set --${setting} ${list.join(',')}`).join(' && ');
  const plain = p.loginType === 'PlainTextLogin';
  return [{
    id,
    severity: plain ? 'fail' : 'warning',
    title: `${p.protocol}: connection settings tell clients to connect without encryption`,
    detail: `${clear.map((c) => `${c.setting} ${c.entry}`).join('; ')}: no SSL or TLS. ${plain
      ? 'With login-type PlainTextLogin such clients send their passwords in the clear.'
      : `With login-type ${p.loginType} such clients cannot log in with a password until they use STARTTLS.`}`,
    fix,
  }];
}
