/**
 * A throwaway OpenLDAP (Debian's slapd) for the directory tests: its own config and mdb database in
 * a temp dir, the given LDIF loaded with slapadd, listening on 127.0.0.1 on a free port (ldap://)
 * and, with `tls`, also on a second port (ldaps://) with a fresh self-signed certificate for
 * 127.0.0.1 (also used for StartTLS on the ldap:// port). Tests only.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SLAPD = ['/usr/sbin/slapd', '/usr/local/libexec/slapd'].find((p) => existsSync(p));
export const SLAPD_MISSING = SLAPD ? false : 'slapd is not installed (apt-get install slapd ldap-utils) — LDAP tests skipped';

export const BASE_DN = 'ou=people,dc=example,dc=org';
export const ADMIN_DN = 'cn=admin,dc=example,dc=org';
/** The suffix and the people unit every test directory starts with (LDIF). */
export const BASE_LDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people
`;
export const ADMIN_PASSWORD = 'admin-secret';

export interface Slapd {
  url: string;
  /** ldaps:// URL (only with `tls`). */
  ldapsUrl: string;
  /** PEM of the self-signed server certificate, which is its own CA (only with `tls`). */
  caPem: string;
  /** Stops slapd (idempotent); the temp dir stays until `cleanup`. */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) return;
    if (proc.exitCode !== null) throw new Error('slapd exited');
    await new Promise((r) => setTimeout(r, 50)); // poll interval while slapd starts
  }
  throw new Error('slapd did not start');
}

/** A self-signed certificate and key for 127.0.0.1 (openssl), as PEM files in `dir`. */
export function makeCertificate(dir: string, name: string): { certFile: string; keyFile: string; certPem: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8') };
}

/**
 * `tls`: also listen on ldaps:// and offer StartTLS, with a fresh certificate; and refuse every
 * operation but StartTLS on a connection without TLS (`security tls=1`), so a test can tell that
 * TLS was really used.
 */
export async function startSlapd(ldif: string, opts: { tls?: boolean } = {}): Promise<Slapd> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-ldap-'));
  mkdirSync(join(work, 'db'));
  const conf = join(work, 'slapd.conf');
  const cert = opts.tls ? makeCertificate(work, 'slapd') : null;
  writeFileSync(conf, [
    'include /etc/ldap/schema/core.schema', 'include /etc/ldap/schema/cosine.schema', 'include /etc/ldap/schema/inetorgperson.schema',
    `pidfile ${join(work, 'slapd.pid')}`, 'modulepath /usr/lib/ldap', 'moduleload back_mdb',
    ...(cert ? [`TLSCertificateFile ${cert.certFile}`, `TLSCertificateKeyFile ${cert.keyFile}`, 'security tls=1'] : []),
    'database mdb', 'maxsize 10485760', 'suffix "dc=example,dc=org"', `rootdn "${ADMIN_DN}"`, `rootpw ${ADMIN_PASSWORD}`,
    `directory ${join(work, 'db')}`, '',
  ].join('\n'));
  writeFileSync(join(work, 'data.ldif'), ldif);
  const add = spawnSync('/usr/sbin/slapadd', ['-f', conf, '-l', join(work, 'data.ldif')], { encoding: 'utf8' });
  assert.equal(add.status, 0, add.stderr);
  const port = await freePort();
  const tlsPort = cert ? await freePort() : 0;
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = cert ? `ldaps://127.0.0.1:${tlsPort}` : '';
  const proc = spawn(SLAPD!, ['-f', conf, '-h', [`${url}/`, ...(cert ? [`${ldapsUrl}/`] : [])].join(' '), '-d', '0'], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForPort(port, proc);
    if (cert) await waitForPort(tlsPort, proc);
  } catch (err) {
    await stop();
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  return {
    url, ldapsUrl, caPem: cert?.certPem ?? '', stop,
    async cleanup() {
      await stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
