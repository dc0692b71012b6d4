/**
 * Certificate inspection and checks, on node:crypto's X509Certificate: what `cert list` shows,
 * the import checks (key matches, not expired, chain links) and RFC 6125 host-name matching.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

export interface CertInfo {
  name: string;
  subject: string;
  /** DNS names and IP addresses from subjectAltName. */
  sans: string[];
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** "ECDSA P-256", "RSA", "Ed25519", ... */
  keyType: string;
  keySize: number;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint: string;
  selfSigned: boolean;
  /** Made by `init` / `cert new-self-signed`: for testing only. */
  testingOnly: boolean;
  /** Certificates in the chain after the leaf. */
  chainLength: number;
}

export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

/** Splits a PEM bundle into its certificates (leaf first, as given). */
export function splitPemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CertificateError('no certificate found (expected PEM "-----BEGIN CERTIFICATE-----")');
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new CertificateError(`certificate ${i + 1} of the chain cannot be read: ${(err as Error).message}`);
    }
  });
}

export function parsePrivateKey(keyPem: string | Buffer, passphrase?: string): KeyObject {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem', passphrase: passphrase ?? '' });
  } catch (err) {
    const msg = (err as Error).message;
    if (/bad decrypt|passphrase|interrupted or cancelled/i.test(msg)) {
      throw new CertificateError('the private key is encrypted and the passphrase is wrong or missing');
    }
    throw new CertificateError(`the private key cannot be read: ${msg}`);
  }
}

export function sansOf(cert: X509Certificate): string[] {
  const raw = cert.subjectAltName ?? '';
  const out: string[] = [];
  for (const part of raw.split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.+)$/.exec(part.trim());
    if (m) out.push(m[2].trim());
  }
  return out;
}

function keyDescription(cert: X509Certificate): { keyType: string; keySize: number } {
  const k = cert.publicKey;
  const d = k.asymmetricKeyDetails ?? {};
  switch (k.asymmetricKeyType) {
    case 'ec': {
      const curve = d.namedCurve ?? '';
      const name = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : curve;
      const size = name === 'P-256' ? 256 : name === 'P-384' ? 384 : name === 'P-521' ? 521 : 0;
      return { keyType: `ECDSA ${name}`, keySize: size };
    }
    case 'rsa':
    case 'rsa-pss':
      return { keyType: 'RSA', keySize: d.modulusLength ?? 0 };
    case 'ed25519':
      return { keyType: 'Ed25519', keySize: 256 };
    default:
      return { keyType: String(k.asymmetricKeyType), keySize: 0 };
  }
}

export function describe(name: string, chain: X509Certificate[], testingOnly: boolean): CertInfo {
  const leaf = chain[0];
  return {
    name,
    subject: leaf.subject.replace(/\n/g, ', '),
    sans: sansOf(leaf),
    issuer: leaf.issuer.replace(/\n/g, ', '),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    ...keyDescription(leaf),
    fingerprint: leaf.fingerprint256,
    selfSigned: leaf.subject === leaf.issuer && leaf.verify(leaf.publicKey),
    testingOnly,
    chainLength: chain.length - 1,
  };
}

/** The import checks: the key matches the leaf, the leaf is within its validity, the chain links. */
export function checkImport(chain: X509Certificate[], key: KeyObject, now = new Date()): void {
  const leaf = chain[0];
  if (!leaf.checkPrivateKey(key)) throw new CertificateError('the private key does not match the certificate');
  if (new Date(leaf.validTo) < now) throw new CertificateError(`the certificate expired on ${new Date(leaf.validTo).toISOString()}`);
  if (new Date(leaf.validFrom) > now) throw new CertificateError(`the certificate is not valid before ${new Date(leaf.validFrom).toISOString()}`);
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
      throw new CertificateError(`the chain does not link: certificate ${i + 1} (${chain[i].subject.replace(/\n/g, ', ')}) was not issued by certificate ${i + 2} (${chain[i + 1].subject.replace(/\n/g, ', ')})`);
    }
  }
  if (sansOf(leaf).length === 0 && !/CN=/.test(leaf.subject)) throw new CertificateError('the certificate names no host (no subjectAltName and no CN)');
}

/**
 * RFC 6125 §6.4: case-insensitive; a wildcard only as the whole left-most label, matching
 * exactly one label, and never directly under a single-label (top-level) name.
 */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p || !h) return false;
  if (!p.includes('*')) return p === h;
  const pl = p.split('.');
  const hl = h.split('.');
  if (pl[0] !== '*' || pl.slice(1).some((l) => l.includes('*'))) return false;
  if (pl.length < 3) return false; // "*.org", "*": too broad
  if (pl.length !== hl.length) return false;
  if (hl[0].length === 0) return false;
  return pl.slice(1).join('.') === hl.slice(1).join('.');
}

/** How well a certificate serves `host`: 2 exact SAN, 1 wildcard SAN, 0 no match. */
export function matchQuality(info: Pick<CertInfo, 'sans' | 'subject'>, host: string): number {
  const names = info.sans.length > 0 ? info.sans : (/CN=([^,]+)/.exec(info.subject)?.slice(1) ?? []);
  let best = 0;
  for (const n of names) {
    if (!n.includes('*') && hostMatches(n, host)) return 2;
    if (hostMatches(n, host)) best = 1;
  }
  return best;
}

export type ExpiryStatus = 'ok' | 'expires-in-60-days' | 'expires-in-30-days' | 'expires-in-7-days' | 'expired';

/** Warnings at 60/30 days, error under 7 days or expired. */
export function expiryStatus(info: Pick<CertInfo, 'notAfter'>, now = new Date()): ExpiryStatus {
  const days = (info.notAfter.getTime() - now.getTime()) / 86_400_000;
  if (days <= 0) return 'expired';
  if (days < 7) return 'expires-in-7-days';
  if (days < 30) return 'expires-in-30-days';
  if (days < 60) return 'expires-in-60-days';
  return 'ok';
}
