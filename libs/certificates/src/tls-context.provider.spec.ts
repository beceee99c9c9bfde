import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from '@app/crypto';
import type { StorageCrypto } from '@app/crypto';
import type { ConfigBus } from '@app/redis';
import type { CertificateRecord } from './certificate.record';
import type { CertificatesRepository } from './certificates.repository';
import { CertificateContextCache } from './tls-context.provider';

/** A self-signed certificate for `names` (openssl), only to exercise the cache. */
function selfSigned(names: string[], days: number): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cache-spec-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        String(days),
        '-keyout',
        join(dir, 'k'),
        '-out',
        join(dir, 'c'),
        '-subj',
        `/CN=${names[0]}`,
        '-addext',
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'c'), 'utf8'), key: readFileSync(join(dir, 'k'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('CertificateContextCache', () => {
  const box = new SecretBox(randomBytes(32).toString('base64'));
  const crypto = { open: (s: string, c: string) => box.open(s, c) } as unknown as StorageCrypto;
  let records: CertificateRecord[] = [];
  const repository = {
    list: async () => records,
    recordKey: (n: string) => `k:${n}`,
  } as unknown as CertificatesRepository;
  const bus = { onChange: () => () => undefined } as unknown as ConfigBus;

  const record = (name: string, domains: string[], days: number): CertificateRecord => {
    const { cert, key } = selfSigned(domains, days);
    const x509 = new X509Certificate(cert);
    return {
      name,
      owner: 'ADMIN',
      domains,
      acme_directory_url: 'https://ca/dir',
      status: 'active',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      renewal_failures: 0,
      certificate_pem: cert,
      private_key_sealed: box.seal(key, `k:${name}`),
      fingerprint: x509.fingerprint256,
      expires_at: new Date(x509.validTo).toISOString(),
    };
  };

  it('serves exact names, prefers the certificate expiring last, and follows changes', async () => {
    const short = record('short', ['a.example.org', 'b.example.org'], 10);
    const long = record('long', ['b.example.org'], 90);
    records = [short, long];
    const cache = new CertificateContextCache(repository, crypto, bus);
    await cache.onModuleInit();
    expect(cache.servedFingerprint('a.example.org')).toBe(short.fingerprint);
    expect(cache.servedFingerprint('B.Example.org.')).toBe(long.fingerprint);
    expect(cache.getSecureContext('c.example.org')).toBeUndefined();
    expect(cache.getSecureContext('x.a.example.org')).toBeUndefined();

    records = [short];
    await cache.refresh();
    expect(cache.servedFingerprint('b.example.org')).toBe(short.fingerprint);
  });

  it('skips a certificate whose key does not open, keeps serving the others', async () => {
    const good = record('good', ['good.example.org'], 30);
    const bad = {
      ...record('bad', ['bad.example.org'], 30),
      private_key_sealed: box.seal(
        generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
        'k:other',
      ),
    };
    records = [good, bad];
    const cache = new CertificateContextCache(repository, crypto, bus);
    (cache as unknown as { logger: { error: () => void } }).logger.error = () => undefined;
    await cache.onModuleInit();
    expect(cache.servedFingerprint('good.example.org')).toBe(good.fingerprint);
    expect(cache.getSecureContext('bad.example.org')).toBeUndefined();
  });
});
