/**
 * `portcullis cert list|new-self-signed|import|remove`: the certificate store in DATA_DIR/certs.
 * Services pick certificates by name (x509-certificate-name, matched against SANs).
 */
import { readFileSync } from 'node:fs';
import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { CertStore, CertificateError, type CertInfo } from '../../tls/certstore.js';
import { KEY_TYPES, type KeyType } from '../../tls/selfsigned.js';
import { loadConfig } from '../../config/config.js';
import { certificateUsage } from '../cert-usage.js';

/** Used by `init`: the self-signed certificate for the host name. Returns its name. */
export async function createInitialCertificate(dataDir: string, hostname: string): Promise<string> {
  const info = await CertStore.forDataDir(dataDir).generateSelfSigned(hostname);
  return info.name;
}

function usedBy(dataDir: string, store: CertStore): Map<string, string[]> {
  return certificateUsage(dataDir, store);
}

function show(info: CertInfo, services: string[]): Record<string, unknown> {
  return { ...info, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), usedBy: services };
}

async function list(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { json: { type: 'boolean' } }, 'portcullis cert list [--json]');
  const store = CertStore.forDataDir(ctx.dataDir);
  const used = usedBy(ctx.dataDir, store);
  const rows = store.list().map((c) => show(c, used.get(c.name) ?? []));
  if (values.json) {
    ctx.stdout(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (!rows.length) ctx.stdout('(no certificates)');
  for (const r of rows) {
    ctx.stdout(`${String(r.name)}${r.testingOnly ? '  [self-signed, for testing only]' : r.selfSigned ? '  [self-signed]' : ''}`);
    ctx.stdout(`  subject      ${String(r.subject).replace(/\n/g, ', ')}`);
    ctx.stdout(`  names        ${(r.sans as string[]).join(', ')}`);
    ctx.stdout(`  issuer       ${String(r.issuer).replace(/\n/g, ', ')}`);
    ctx.stdout(`  valid        ${String(r.notBefore)} .. ${String(r.notAfter)}`);
    ctx.stdout(`  key          ${String(r.keyType)} ${String(r.keySize)} bits`);
    ctx.stdout(`  sha256       ${String(r.fingerprint)}`);
    ctx.stdout(`  used by      ${(r.usedBy as string[]).join(', ') || '-'}`);
  }
  return 0;
}

async function newSelfSigned(ctx: CliContext): Promise<number> {
  const usage = `portcullis cert new-self-signed --hostname HOST [--key-type ${KEY_TYPES.join('|')}] [--name NAME]`;
  const { values } = parse(ctx.args, { hostname: { type: 'string' }, 'key-type': { type: 'string' }, name: { type: 'string' } }, usage);
  const host = values.hostname as string | undefined;
  if (!host || !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host)) throw new CliError(`--hostname: ${host ? `"${host}" is not allowed` : 'missing'} (allowed: a DNS host name)`);
  const keyType = (values['key-type'] as string | undefined) ?? 'ecdsa-p256';
  if (!(KEY_TYPES as readonly string[]).includes(keyType)) throw new CliError(`--key-type: "${keyType}" is not allowed (allowed: ${KEY_TYPES.join(', ')})`);
  loadConfig(ctx.dataDir);
  const info = await wrap(() => CertStore.forDataDir(ctx.dataDir).generateSelfSigned(host, { keyType: keyType as KeyType, name: values.name as string | undefined }));
  ctx.stdout(`Created self-signed certificate "${info.name}" for ${info.sans.join(', ')} (testing only).`);
  return 0;
}

async function importCert(ctx: CliContext): Promise<number> {
  const usage = 'portcullis cert import (--cert CHAIN.pem --key KEY.pem | --pfx FILE.pfx) [--passphrase-stdin] [--name NAME]';
  const { values } = parse(ctx.args, { cert: { type: 'string' }, key: { type: 'string' }, pfx: { type: 'string' }, 'passphrase-stdin': { type: 'boolean' }, name: { type: 'string' } }, usage);
  loadConfig(ctx.dataDir);
  const read = (flag: string, path: string | undefined): Buffer => {
    if (!path) throw new CliError(`${flag}: missing (usage: ${usage})`);
    try {
      return readFileSync(path);
    } catch (err) {
      throw new CliError(`${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const passphrase = values['passphrase-stdin'] ? (await ctx.readStdin()).toString('utf8').replace(/\r?\n$/, '') : undefined;
  const store = CertStore.forDataDir(ctx.dataDir);
  const name = values.name as string | undefined;
  let info: CertInfo;
  if (values.pfx) {
    if (values.cert || values.key) throw new CliError(`--pfx: give either --pfx or --cert and --key (usage: ${usage})`);
    const pfx = read('--pfx', values.pfx as string);
    info = await wrap(() => store.importPfx(pfx, passphrase ?? '', { name }));
  } else {
    const cert = read('--cert', values.cert as string | undefined).toString('utf8');
    const key = read('--key', values.key as string | undefined).toString('utf8');
    info = await wrap(() => store.importPem(cert, key, passphrase, { name }));
  }
  ctx.stdout(`Imported "${info.name}" for ${info.sans.join(', ')}, valid until ${info.notAfter.toISOString()}. Select it with: portcullis imap set --x509-certificate-name ${info.sans.find((s) => /[a-z]/i.test(s)) ?? info.name}`);
  return 0;
}

async function remove(ctx: CliContext): Promise<number> {
  const usage = 'portcullis cert remove NAME [--force]';
  const { values, positionals } = parse(ctx.args, { force: { type: 'boolean' } }, usage, 1);
  const name = positionals[0];
  if (!name) throw new CliError(`NAME: missing (usage: ${usage})`);
  const store = CertStore.forDataDir(ctx.dataDir);
  if (!store.get(name)) throw new CliError(`NAME: no certificate "${name}" (allowed: ${store.list().map((c) => c.name).join(', ') || 'none stored'})`);
  const users = usedBy(ctx.dataDir, store).get(name) ?? [];
  if (users.length && !values.force) throw new CliError(`NAME: "${name}" is in use by ${users.join(', ')} (allowed: a certificate no service uses, or add --force)`);
  store.remove(name);
  ctx.stdout(`Removed certificate "${name}".`);
  return 0;
}

async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CertificateError) throw new CliError(`certificate: ${err.message}`);
    throw err;
  }
}

export const certCommands = { list, 'new-self-signed': newSelfSigned, import: importCert, remove };
