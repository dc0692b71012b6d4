/**
 * Self-signed certificate generation (testing only): ECDSA P-256 by default, RSA optional,
 * SHA-256, SANs for the host name, "localhost" and 127.0.0.1 / ::1.
 */
import { webcrypto, randomBytes } from 'node:crypto';
import './reflect-metadata.js';
import * as x509 from '@peculiar/x509';

type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
type SignAlg = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['signingAlgorithm']>;
type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

export type KeyType = 'ecdsa-p256' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
export const KEY_TYPES: readonly KeyType[] = ['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

export interface PemPair {
  certPem: string;
  keyPem: string;
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function algorithmFor(keyType: KeyType): { gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: webcrypto.Algorithm | webcrypto.EcdsaParams } {
  if (keyType === 'ecdsa-p256') {
    return { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams };
  }
  const bits = Number(keyType.slice(4));
  return {
    gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  };
}

function isIp(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/** Makes a self-signed certificate for `hostname` (plus localhost and loopback addresses). */
export async function makeSelfSigned(
  hostname: string,
  opts: { keyType?: KeyType; days?: number; extraNames?: string[] } = {},
): Promise<PemPair> {
  const keyType = opts.keyType ?? 'ecdsa-p256';
  const { gen, sign } = algorithmFor(keyType);
  const keys = (await webcrypto.subtle.generateKey(gen, true, ['sign', 'verify'])) as unknown as KeyPair;
  const names = [...new Set([hostname, ...(opts.extraNames ?? []), 'localhost', '127.0.0.1', '::1'])];
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + (opts.days ?? 365) * 86_400_000);
  const cn = hostname.replace(/[,+="\\<>;#]/g, '');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${cn}, O=Portcullis self-signed (testing only)`,
    notBefore,
    notAfter,
    signingAlgorithm: sign as unknown as SignAlg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (keyType === 'ecdsa-p256' ? 0 : x509.KeyUsageFlags.keyEncipherment), true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIp(n) ? 'ip' : 'dns', value: n }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: toPem('PRIVATE KEY', pkcs8) };
}
