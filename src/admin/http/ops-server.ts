/**
 * Admin API operations on the server as a whole: importing and removing certificates, a
 * service's startup type, and failure-throttling blocks. Each does what the matching CLI
 * command does (`cert import|remove`, `service enable|disable`, `auth blocks list|clear`), then
 * lets the running server apply it.
 */
import { existsSync } from 'node:fs';
import { readBlocks, requestClear, type BlockEntry } from '../../auth/blocks-file.js';
import { loadConfig, saveConfig } from '../../config/config.js';
import { CertStore, CertificateError } from '../../tls/certstore.js';
import { checkNetwork } from '../cli/auth.js';
import { CliError } from '../cli/errors.js';
import { certificateUsage } from '../cert-usage.js';
import type { ServerControl, ServiceRow } from './control.js';
import { ApiError, listCertificates, serviceName, type CertificateRow } from './ops.js';

const PEM_MAX = 256 * 1024;

function pem(raw: unknown, field: string, what: string): string {
  if (typeof raw !== 'string' || !raw.includes('-----BEGIN ') || raw.length > PEM_MAX) {
    throw new ApiError(400, `${field}: ${raw === undefined ? 'missing' : 'not allowed'} (allowed: ${what} in PEM form, at most ${PEM_MAX} characters)`, field);
  }
  return raw;
}

/**
 * Imports a PEM certificate chain and its key, with the checks of `cert import`: the key must
 * match, the certificate must be valid now and the chain must link up. Returns the stored row.
 */
export async function importCertificate(control: ServerControl, input: Record<string, unknown>): Promise<CertificateRow> {
  const cert = pem(input.certificate, 'certificate', 'the certificate chain, leaf first');
  const key = pem(input.key, 'key', 'the unencrypted private key');
  if (input.name !== undefined && typeof input.name !== 'string') throw new ApiError(400, 'name: not allowed (allowed: letters, digits, ".", "_", "-")', 'name');
  let name: string;
  try {
    name = (await CertStore.forDataDir(control.dataDir).importPem(cert, key, undefined, { name: input.name as string | undefined })).name;
  } catch (err) {
    if (err instanceof CertificateError) {
      const field = /^name:/.test(err.message) ? 'name' : 'certificate';
      throw new ApiError(400, /^name:/.test(err.message) ? err.message : `certificate: ${err.message}`, field);
    }
    throw err;
  }
  await control.reload();
  return listCertificates(control.dataDir).find((c) => c.name === name)!;
}

/** Removes a stored certificate; 409 while a service's certificate-name setting selects it. */
export async function removeCertificate(control: ServerControl, name: string): Promise<void> {
  const store = CertStore.forDataDir(control.dataDir);
  if (!store.get(name)) throw new ApiError(404, `name: no certificate "${name.slice(0, 128)}" (allowed: ${store.list().map((c) => c.name).join(', ') || 'none stored'})`, 'name');
  const users = certificateUsage(control.dataDir, store).get(name) ?? [];
  if (users.length) throw new ApiError(409, `name: "${name}" is in use by ${users.join(', ')} (allowed: a certificate no service uses; point their certificate-name setting elsewhere first)`, 'name');
  store.remove(name);
  await control.reload();
}

const STARTUP_TYPES = { automatic: 'Automatic', disabled: 'Disabled' } as const;

/** Sets a service's startup type in the config (as `service enable|disable`), then the server applies it. */
export async function setStartupType(control: ServerControl, rawName: string, raw: unknown): Promise<ServiceRow> {
  const name = serviceName(rawName);
  const type = typeof raw === 'string' ? STARTUP_TYPES[raw.toLowerCase() as keyof typeof STARTUP_TYPES] : undefined;
  if (!type) throw new ApiError(400, `startupType: ${raw === undefined ? 'missing' : `${JSON.stringify(raw).slice(0, 40)} is not allowed`} (allowed: Automatic, Disabled)`, 'startupType');
  const cfg = loadConfig(control.dataDir);
  cfg.services[name] = type;
  saveConfig(control.dataDir, cfg);
  await control.reload();
  return control.services().find((s) => s.name === name)!;
}

function network(raw: string): string {
  try {
    return checkNetwork(raw, 'DELETE /api/blocks/{address}')!;
  } catch (err) {
    if (err instanceof CliError) throw new ApiError(400, err.message.replace(/^ADDRESS/, 'address').replace(/; usage: [^)]*/, ''), 'address');
    throw err;
  }
}

export interface BlocksReport {
  /** When the running server last wrote its blocks; null when it never has (not running). */
  updatedAt: string | null;
  blocks: BlockEntry[];
}

/** The networks the running server blocks now, as `auth blocks list --json` shows them. */
export function listBlocks(control: ServerControl, now = Date.now()): BlocksReport {
  const snap = readBlocks(control.dataDir);
  return { updatedAt: snap?.updatedAt ?? null, blocks: (snap?.blocks ?? []).filter((b) => Date.parse(b.until) > now) };
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lifts the blocks of one network (rawAddress given) or all, through the same request file as
 * `auth blocks clear`, and waits until the running server has applied it and rewritten its
 * list (it polls every 2 s). 503 when it has not within `timeoutMs`; the request stays queued.
 */
export async function clearBlocks(control: ServerControl, rawAddress: string | null, timeoutMs = 6000): Promise<BlocksReport & { cleared: string }> {
  const net = rawAddress === null ? null : network(rawAddress);
  const requested = Date.now();
  const file = requestClear(control.dataDir, net);
  const applied = (): boolean => {
    const updated = readBlocks(control.dataDir)?.updatedAt;
    return !existsSync(file) && !!updated && Date.parse(updated) >= requested;
  };
  while (!applied()) {
    if (Date.now() - requested > timeoutMs) throw new ApiError(503, `the server did not apply the clear request within ${Math.round(timeoutMs / 1000)} s (is it running? the request stays queued)`);
    await wait(50);
  }
  return { cleared: net ?? 'all', ...listBlocks(control) };
}
