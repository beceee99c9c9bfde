import { generate } from 'selfsigned';

/**
 * A self-signed ECDSA P-256 certificate for `domain`, `*.domain`, localhost and 127.0.0.1, valid a
 * year: what HTTPS presents before any certificate is issued. Imported on its own by the cluster
 * primary (which generates it once for all workers), so it must stay free of Nest imports.
 */
export async function generateFallbackCertificate(domain: string): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: domain }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: domain },
          { type: 2, value: `*.${domain}` },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
