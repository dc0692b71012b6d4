import tls from 'node:tls';

/** The PEM of the certificate a TLS server presents (for clients that pin it, like mbsync). */
export function peerCertificatePem(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const raw = s.getPeerCertificate().raw;
      s.destroy();
      const b64 = (raw.toString('base64').match(/.{1,64}/g) ?? []).join('\n');
      resolve(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
    });
    s.on('error', reject);
  });
}
