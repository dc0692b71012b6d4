/**
 * The certificate store of a data dir: DATA_DIR/certs/<name>.json (mode 0600), each holding the
 * chain (PEM, leaf first), the private key (PEM, unencrypted at rest; protect the data dir) and
 * metadata. Certificates are chosen by host name (x509-certificate-name, SNI) against their SANs.
 * A certificate replaced on disk (renewal, `cert import` by another process) is picked up for
 * new connections without a restart.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { CertificateError, checkImport, describe, matchQuality, parsePrivateKey, splitPemCertificates, type CertInfo } from './certinfo.js';
import { makeSelfSigned, type KeyType } from './selfsigned.js';

export { CertificateError, type CertInfo } from './certinfo.js';

export interface StoredCertificate {
  info: CertInfo;
  /** Leaf first, then intermediates. */
  certPem: string;
  keyPem: string;
}

interface CertFile {
  version: 1;
  name: string;
  testingOnly: boolean;
  createdAt: string;
  certPem: string;
  keyPem: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const RESCAN_MS = 1000;

/** A file-safe name derived from a host name ("*.example.org" -> "wildcard.example.org"). */
export function certNameFor(host: string): string {
  const n = host.toLowerCase().replace(/^\*\./, 'wildcard.').replace(/[^a-z0-9._-]/g, '_').replace(/^[._-]+/, '');
  return (n || 'certificate').slice(0, 128);
}

export class CertStore {
  private cache = new Map<string, { mtimeMs: number; size: number; stored: StoredCertificate; createdAt: number }>();
  private lastScan = 0;

  constructor(readonly dir: string, private readonly now: () => Date = () => new Date()) {}

  /** The store of a data dir (DATA_DIR/certs). */
  static forDataDir(dataDir: string): CertStore {
    return new CertStore(join(dataDir, 'certs'));
  }

  /** Re-reads the directory now (otherwise at most once a second). */
  reload(): void {
    this.lastScan = 0;
    this.scan();
  }

  private scan(): void {
    const t = Date.now();
    if (t - this.lastScan < RESCAN_MS) return;
    this.lastScan = t;
    if (!existsSync(this.dir)) {
      this.cache.clear();
      return;
    }
    const seen = new Set<string>();
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith('.json')) continue;
      const name = file.slice(0, -5);
      seen.add(name);
      try {
        const st = statSync(join(this.dir, file));
        const old = this.cache.get(name);
        if (old && old.mtimeMs === st.mtimeMs && old.size === st.size) continue;
        const f = JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as CertFile;
        const chain = splitPemCertificates(f.certPem);
        this.cache.set(name, {
          mtimeMs: st.mtimeMs, size: st.size, createdAt: Date.parse(f.createdAt) || 0,
          stored: { info: describe(name, chain, f.testingOnly === true), certPem: f.certPem, keyPem: f.keyPem },
        });
      } catch {
        // An unreadable file is skipped (the analyzer reports it); the last good version stays.
      }
    }
    for (const name of [...this.cache.keys()]) if (!seen.has(name)) this.cache.delete(name);
  }

  list(): CertInfo[] {
    this.scan();
    return [...this.cache.values()].sort((a, b) => a.createdAt - b.createdAt).map((e) => e.stored.info);
  }

  get(name: string): StoredCertificate | null {
    this.scan();
    return this.cache.get(name)?.stored ?? null;
  }

  remove(name: string): boolean {
    const path = join(this.dir, `${name}.json`);
    if (!NAME_RE.test(name) || !existsSync(path)) return false;
    unlinkSync(path);
    this.reload();
    return true;
  }

  /**
   * The certificate to present for `host`: exact SAN match before wildcard, valid before
   * expired, then the latest expiry. An empty host means the default: the oldest certificate
   * (the one `init` made) unless one is named "default".
   */
  select(host: string): StoredCertificate | null {
    this.scan();
    const entries = [...this.cache.values()];
    if (!host) {
      const named = this.cache.get('default');
      if (named) return named.stored;
      return entries.sort((a, b) => a.createdAt - b.createdAt)[0]?.stored ?? null;
    }
    const now = this.now().getTime();
    let best: { score: number; stored: StoredCertificate } | null = null;
    for (const e of entries) {
      const q = matchQuality(e.stored.info, host);
      if (q === 0) continue;
      const score = q * 10 + (e.stored.info.notAfter.getTime() > now ? 5 : 0);
      if (!best || score > best.score || (score === best.score && e.stored.info.notAfter > best.stored.info.notAfter)) best = { score, stored: e.stored };
    }
    return best?.stored ?? null;
  }

  /** A new self-signed certificate, marked for testing only. */
  async generateSelfSigned(hostname: string, opts: { keyType?: KeyType; name?: string; days?: number } = {}): Promise<CertInfo> {
    const pair = await makeSelfSigned(hostname, { keyType: opts.keyType, days: opts.days });
    return this.save(opts.name ?? certNameFor(hostname), pair.certPem, pair.keyPem, true);
  }

  /** Imports a PEM chain (leaf first or in any order) and key (encrypted keys with a passphrase). */
  async importPem(certChainPem: string, keyPem: string, passphrase?: string, opts: { name?: string } = {}): Promise<CertInfo> {
    const key = parsePrivateKey(keyPem, passphrase);
    const chain = orderChain(splitPemCertificates(certChainPem), key);
    return this.checkAndSave(chain, key, opts.name);
  }

  /** Imports a PKCS#12 / PFX file. */
  async importPfx(pfx: Buffer, passphrase: string, opts: { name?: string } = {}): Promise<CertInfo> {
    const { certs, keys } = readPfx(pfx, passphrase);
    if (keys.length === 0) throw new CertificateError('the PFX file holds no private key');
    if (certs.length === 0) throw new CertificateError('the PFX file holds no certificate');
    const key = keys.find((k) => certs.some((c) => c.checkPrivateKey(k))) ?? keys[0];
    return this.checkAndSave(orderChain(certs, key), key, opts.name);
  }

  private checkAndSave(chain: X509Certificate[], key: KeyObject, name?: string): CertInfo {
    checkImport(chain, key, this.now());
    const leaf = chain[0];
    const host = describe('', chain, false).sans.find((s) => /[a-z]/i.test(s)) ?? /CN=([^\n,]+)/.exec(leaf.subject)?.[1] ?? 'certificate';
    const certPem = chain.map((c) => c.toString().trim() + '\n').join('');
    const keyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    return this.save(name ?? certNameFor(host), certPem, keyPem, false);
  }

  private save(name: string, certPem: string, keyPem: string, testingOnly: boolean): CertInfo {
    if (!NAME_RE.test(name)) throw new CertificateError(`name: "${name}" is not allowed (allowed: letters, digits, ".", "_", "-"; at most 128)`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file: CertFile = { version: 1, name, testingOnly, createdAt: this.now().toISOString(), certPem, keyPem };
    const existing = this.get(name);
    if (existing) file.createdAt = new Date(this.cache.get(name)?.createdAt ?? Date.now()).toISOString();
    const path = join(this.dir, `${name}.json`);
    const tmp = `${path}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(file, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    this.reload();
    const saved = this.get(name);
    if (!saved) throw new CertificateError(`certificate "${name}" could not be stored`);
    return saved.info;
  }
}

/** Leaf (the certificate matching the key) first, then each issuer in turn; extras at the end. */
function orderChain(certs: X509Certificate[], key: KeyObject): X509Certificate[] {
  const leaf = certs.find((c) => c.checkPrivateKey(key));
  if (!leaf) throw new CertificateError('the private key does not match the certificate');
  const rest = certs.filter((c) => c !== leaf);
  const out = [leaf];
  for (;;) {
    const last = out[out.length - 1];
    if (last.subject === last.issuer) break;
    const i = rest.findIndex((c) => last.checkIssued(c));
    if (i < 0) break;
    out.push(rest.splice(i, 1)[0]);
  }
  return [...out, ...rest];
}

function readPfx(pfx: Buffer, passphrase: string): { certs: X509Certificate[]; keys: KeyObject[] } {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(pfx.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase);
  } catch (err) {
    const msg = (err as Error).message;
    if (/MAC could not be verified|Invalid password|decrypt/i.test(msg)) throw new CertificateError('the PFX passphrase is wrong');
    throw new CertificateError(`the PFX file cannot be read: ${msg}`);
  }
  const oids = forge.pki.oids;
  const der = (a: forge.asn1.Asn1): Buffer => Buffer.from(forge.asn1.toDer(a).getBytes(), 'binary');
  const certs: X509Certificate[] = [];
  for (const bag of p12.getBags({ bagType: oids.certBag })[oids.certBag] ?? []) {
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : (bag as { asn1?: forge.asn1.Asn1 }).asn1;
    if (asn1) certs.push(new X509Certificate(der(asn1)));
  }
  const keys: KeyObject[] = [];
  for (const type of [oids.pkcs8ShroudedKeyBag, oids.keyBag]) {
    for (const bag of p12.getBags({ bagType: type })[type] ?? []) {
      const asn1 = bag.key
        ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key))
        : (bag as { asn1?: forge.asn1.Asn1 }).asn1;
      if (!asn1) continue;
      try {
        keys.push(createPrivateKey({ key: der(asn1), format: 'der', type: 'pkcs8' }));
      } catch {
        /* not a key we can use */
      }
    }
  }
  return { certs, keys };
}
