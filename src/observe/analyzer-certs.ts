/**
 * Certificate checks of the analyzer: a certificate for every configured name, self-signed
 * certificates in use, expiry (warning at 60 and 30 days, fail under 7 days or expired), key
 * size (RSA under 2048 bits, EC under 256), SHA-1/MD5 signatures, and whether the presented
 * certificate names the host clients connect to.
 */
import { hostMatches } from '../tls/certinfo.js';
import type { AnalyzerInput, CertificateFacts, Finding, ProtocolFacts } from './analyzer.js';

const DAY = 86_400_000;

function importFix(host: string): string {
  return `portcullis cert import --cert CHAIN.pem --key KEY.pem --name ${host.replace(/^\*\./, 'wildcard.')}`;
}

function names(c: CertificateFacts): boolean {
  return c.subjectAltNames.length > 0;
}

function coversHost(c: CertificateFacts, host: string): boolean {
  return c.subjectAltNames.some((n) => hostMatches(n, host));
}

function nameCheck(p: ProtocolFacts, input: AnalyzerInput, byName: Map<string, CertificateFacts>): Finding | null {
  const hasListeners = p.sslBindings.length + p.cleartextBindings.length > 0;
  if (!hasListeners) return null;
  const id = `certificate.name.${p.protocol}`;
  const wanted = p.certificateName;
  const host = wanted || p.fqdn || input.hostname;
  if (!p.selectedCertificate) {
    return {
      id, severity: 'fail',
      title: wanted ? `${p.protocol}: ${p.certificateSetting} "${wanted}" matches no certificate` : `${p.protocol}: no certificate to present`,
      detail: `TLS connections to ${p.protocol} fail. Import a certificate for ${host}, or set ${p.certificateSetting} to a name a stored certificate carries (see 'portcullis cert list').`,
      fix: importFix(host),
    };
  }
  const cert = byName.get(p.selectedCertificate);
  // With connection settings, the names clients are told to connect to are the ones to check.
  const told = [...new Set((p.connectionSettings ?? []).map((c) => c.host.toLowerCase()))];
  if (cert && names(cert) && told.length) {
    const uncovered = told.filter((h) => !coversHost(cert, h));
    return uncovered.length
      ? {
        id, severity: 'warning', title: `${p.protocol}: certificate "${cert.name}" does not name ${uncovered.join(', ')} from the connection settings`,
        detail: `Clients are told to connect to ${told.join(', ')}; the certificate names ${cert.subjectAltNames.join(', ')}, so clients that verify the host name refuse it.`,
        fix: importFix(uncovered[0]),
      }
      : { id, severity: 'pass', title: `${p.protocol}: presents certificate "${p.selectedCertificate}"`, detail: `It names every host of the connection settings (${told.join(', ')}).`, fix: null };
  }
  // Selected by its stored name (not a host name): clients connect to the configured hostname.
  const hostChecked = cert && wanted && cert.name === wanted && !coversHost(cert, wanted) ? p.fqdn || input.hostname : host;
  if (cert && names(cert) && p.fqdn && !coversHost(cert, p.fqdn)) {
    return {
      id, severity: 'warning', title: `${p.protocol}: certificate "${cert.name}" does not name the fqdn ${p.fqdn}`,
      detail: `The service greets and answers EHLO as ${p.fqdn}, but the certificate names ${cert.subjectAltNames.join(', ')}; clients that verify the host name refuse it.`,
      fix: `portcullis ${p.section} set --fqdn ${hostOf(cert)}   (or import a certificate for ${p.fqdn})`,
    };
  }
  if (cert && names(cert) && !coversHost(cert, hostChecked)) {
    return {
      id, severity: 'warning', title: `${p.protocol}: certificate "${cert.name}" does not name ${hostChecked}`,
      detail: `It names ${cert.subjectAltNames.join(', ')}; clients that verify the host name refuse it.`,
      fix: importFix(hostChecked),
    };
  }
  return { id, severity: 'pass', title: `${p.protocol}: presents certificate "${p.selectedCertificate}"`, detail: `For ${hostChecked}.`, fix: null };
}

function hostOf(c: CertificateFacts): string {
  return c.subjectAltNames.find((n) => !/^[\d.:]+$/.test(n) && n !== 'localhost') ?? c.subjectAltNames[0] ?? c.name;
}

function perCertificate(c: CertificateFacts, now: Date): Finding[] {
  const out: Finding[] = [];
  const id = (what: string): string => `certificate.${what}.${c.name}`;
  const used = c.inUseBy.length > 0;
  const usedBy = used ? ` (used by ${c.inUseBy.join(', ')})` : ' (not in use)';
  const days = Math.floor((c.notAfter.getTime() - now.getTime()) / DAY);
  const renew = c.selfSigned ? `portcullis cert new-self-signed --hostname ${hostOf(c)}` : importFix(hostOf(c));

  if (!used) {
    if (days < 0) out.push({ id: id('expiry'), severity: 'info', title: `Certificate "${c.name}" expired and is not in use`, detail: `Expired ${c.notAfter.toISOString()}.`, fix: `portcullis cert remove ${c.name}` });
    return out;
  }
  if (c.selfSigned) {
    out.push({ id: id('self-signed'), severity: 'warning', title: `Certificate "${c.name}" is self-signed${usedBy}`, detail: 'Clients cannot verify it and users learn to click through warnings. Fine for testing only.', fix: importFix(hostOf(c)) });
  } else {
    out.push({ id: id('self-signed'), severity: 'pass', title: `Certificate "${c.name}" is issued by a CA${usedBy}`, detail: '', fix: null });
  }

  if (days < 0) out.push({ id: id('expiry'), severity: 'fail', title: `Certificate "${c.name}" has expired${usedBy}`, detail: `Expired ${c.notAfter.toISOString()}.`, fix: renew });
  else if (days < 7) out.push({ id: id('expiry'), severity: 'fail', title: `Certificate "${c.name}" expires in ${days} days${usedBy}`, detail: `Expires ${c.notAfter.toISOString()}.`, fix: renew });
  else if (days < 30) out.push({ id: id('expiry'), severity: 'warning', title: `Certificate "${c.name}" expires in ${days} days${usedBy}`, detail: `Expires ${c.notAfter.toISOString()}.`, fix: renew });
  else if (days < 60) out.push({ id: id('expiry'), severity: 'warning', title: `Certificate "${c.name}" expires in ${days} days${usedBy}`, detail: `Expires ${c.notAfter.toISOString()}.`, fix: renew });
  else out.push({ id: id('expiry'), severity: 'pass', title: `Certificate "${c.name}" valid for ${days} more days`, detail: `Until ${c.notAfter.toISOString()}.`, fix: null });

  const rsa = /^RSA/i.test(c.keyType);
  const ec = /^(EC|ECDSA)/i.test(c.keyType);
  const weakKey = (rsa && c.keySize < 2048) || (ec && c.keySize < 256);
  out.push(weakKey
    ? { id: id('key'), severity: 'fail', title: `Certificate "${c.name}" has a weak key: ${c.keyType} ${c.keySize} bits`, detail: 'RSA keys need at least 2048 bits, EC keys at least 256.', fix: c.selfSigned ? `portcullis cert new-self-signed --hostname ${hostOf(c)} --key-type ecdsa-p256` : importFix(hostOf(c)) }
    : { id: id('key'), severity: 'pass', title: `Certificate "${c.name}" key: ${c.keyType}${rsa ? ` ${c.keySize} bits` : ''}`, detail: '', fix: null });

  const hash = c.signatureHash.toUpperCase().replace(/^SHA(\d)/, 'SHA-$1');
  if (/^(SHA-1|MD5|MD2)$/.test(hash)) {
    out.push({ id: id('signature'), severity: 'fail', title: `Certificate "${c.name}" is signed with ${hash}`, detail: 'SHA-1 and MD5 signatures are forgeable; clients reject them.', fix: renew });
  } else if (hash === 'UNKNOWN' || hash === '') {
    out.push({ id: id('signature'), severity: 'info', title: `Certificate "${c.name}": signature algorithm unknown`, detail: '', fix: null });
  } else {
    out.push({ id: id('signature'), severity: 'pass', title: `Certificate "${c.name}" signed with ${hash}`, detail: '', fix: null });
  }
  return out;
}

export function certificateChecks(input: AnalyzerInput): Finding[] {
  const out: Finding[] = [];
  const byName = new Map(input.certificates.map((c) => [c.name, c]));
  for (const bad of input.unreadableCertificates ?? []) {
    out.push({ id: `certificate.unreadable.${bad}`, severity: 'warning', title: `Certificate file ${bad} cannot be read`, detail: 'It is ignored when choosing certificates.', fix: `portcullis cert remove ${bad.replace(/\.json$/, '')}` });
  }
  if (input.certificates.length === 0) {
    out.push({ id: 'certificate.present', severity: 'fail', title: 'No certificate', detail: 'TLS and STARTTLS cannot work.', fix: `portcullis cert new-self-signed --hostname ${input.hostname}` });
  }
  for (const p of input.protocols) {
    const f = nameCheck(p, input, byName);
    if (f) out.push(f);
  }
  for (const c of input.certificates) out.push(...perCertificate(c, input.now));
  return out;
}
