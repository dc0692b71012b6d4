/** For tests: a CA and a leaf certificate it signed (optionally expired), as PEM, made with @peculiar/x509. */
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import './reflect-metadata.js';
import * as x509 from '@peculiar/x509';

type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
async function keys(): Promise<Keys> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as Keys;
}
async function keyPem(k: Keys): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k.privateKey as unknown as webcrypto.CryptoKey));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
}
/** A CA and a leaf it signed (optionally expired). */
export async function caAndLeaf(host: string, opts: { expired?: boolean } = {}): Promise<{ caPem: string; leafPem: string; leafKeyPem: string }> {
  const caKeys = await keys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=Test CA', keys: caKeys, signingAlgorithm: ALG,
    notBefore: new Date(Date.now() - 86_400_000 * 400), notAfter: new Date(Date.now() + 86_400_000 * 400),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const leafKeys = await keys();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'), subject: `CN=${host}`, issuer: ca.subject,
    notBefore: new Date(Date.now() - 86_400_000 * 300), notAfter: new Date(Date.now() + (opts.expired ? -1 : 90) * 86_400_000),
    publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey, signingAlgorithm: ALG,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }])],
  });
  return { caPem: ca.toString('pem') + '\n', leafPem: leaf.toString('pem') + '\n', leafKeyPem: await keyPem(leafKeys) };
}
