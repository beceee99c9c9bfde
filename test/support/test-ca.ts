import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyAndCertificate {
  key: string;
  cert: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/**
 * A throw-away certificate authority made by openssl in a temporary folder: a server trusts it
 * through `NODE_EXTRA_CA_CERTS: ca.caFile`; `issue` signs a leaf for the given subjectAltName
 * (e.g. `IP:127.0.0.1`). `selfSigned` makes a certificate no CA vouches for.
 */
export class TestCertificateAuthority {
  private issued = 0;

  private constructor(readonly dir: string) {}

  static create(): TestCertificateAuthority {
    const ca = new TestCertificateAuthority(mkdtempSync(join(tmpdir(), 'test-ca-')));
    openssl([
      'req',
      '-x509',
      ...EC_KEY,
      '-days',
      '2',
      '-subj',
      '/CN=Proxy test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      join(ca.dir, 'ca-key.pem'),
      '-out',
      ca.caFile,
    ]);
    return ca;
  }

  /** The CA certificate (PEM file), for NODE_EXTRA_CA_CERTS. */
  get caFile(): string {
    return join(this.dir, 'ca.pem');
  }

  /** A leaf certificate signed by this CA for `subjectAltName` (e.g. `IP:127.0.0.1`). */
  issue(subjectAltName: string): KeyAndCertificate {
    const n = ++this.issued;
    const [key, csr, cert] = ['key', 'csr', 'cert'].map((part) => join(this.dir, `leaf${n}-${part}.pem`));
    openssl(
      ['req', '-new', ...EC_KEY, '-subj', '/CN=backend', '-addext', `subjectAltName=${subjectAltName}`].concat([
        '-keyout',
        key,
        '-out',
        csr,
      ]),
    );
    openssl(
      ['x509', '-req', '-in', csr, '-CA', this.caFile, '-CAkey', join(this.dir, 'ca-key.pem')].concat([
        '-CAcreateserial',
        '-days',
        '1',
        '-copy_extensions',
        'copy',
        '-out',
        cert,
      ]),
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  /** A self-signed certificate for `subjectAltName`: no CA vouches for it. */
  selfSigned(subjectAltName: string): KeyAndCertificate {
    const n = ++this.issued;
    const [key, cert] = ['key', 'cert'].map((part) => join(this.dir, `self${n}-${part}.pem`));
    openssl(
      ['req', '-x509', ...EC_KEY, '-days', '1', '-subj', '/CN=self-signed backend'].concat([
        '-addext',
        `subjectAltName=${subjectAltName}`,
        '-keyout',
        key,
        '-out',
        cert,
      ]),
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
