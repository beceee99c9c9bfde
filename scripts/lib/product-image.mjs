// The product image: `docker build` of the Dockerfile FROM the local base image (base-images.mjs),
// trusting the host's extra CA certificates in the build stages only.
import { existsSync, readFileSync } from 'node:fs';
import { sh } from './base-images.mjs';
import { root } from './system.mjs';

export const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function certificates(pem) {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((cert) => ({
    cert,
    key: cert.replace(/\s+/g, ''),
  }));
}

/**
 * The host's CA certificates the base image lacks (PEM), e.g. the root of a TLS-inspecting proxy
 * between this machine and the npm registry: what the build stages must trust to run `npm ci`.
 * Empty when the host trusts nothing more than Debian's bundle.
 */
export function extraCaCertificates(baseImage, hostBundle = HOST_CA_BUNDLE) {
  if (!existsSync(hostBundle)) return '';
  const own = new Set(
    certificates(
      sh('docker', ['run', '--rm', '--network', 'none', baseImage, 'cat', '/etc/ssl/certs/ca-certificates.crt']),
    ).map((c) => c.key),
  );
  return certificates(readFileSync(hostBundle, 'utf8'))
    .filter((c) => !own.has(c.key))
    .map((c) => c.cert)
    .join('\n');
}

/** `docker build` of the Dockerfile FROM the given base, trusting the host's extra CAs while building. */
export function buildProductImage({ tag, baseImage, extraCa = extraCaCertificates(baseImage), network }) {
  const args = ['build', '--pull=false', '--build-arg', `BASE_IMAGE=${baseImage}`, '-t', tag];
  if (extraCa) args.push('--build-arg', `EXTRA_CA_CERTS=${extraCa}`);
  if (network) args.push('--network', network);
  const started = Date.now();
  // The classic builder: BuildKit is not always installed (docker-buildx), and the Dockerfile needs
  // none of its features.
  sh('docker', [...args, root], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  return Math.round((Date.now() - started) / 100) / 10;
}
