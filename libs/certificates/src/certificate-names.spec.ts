import { defaultCertificateName, normalizeDomain, normalizeDomains } from './certificate-names';
import { resolveDirectoryUrl } from './acme-directory';

const acme = {
  productionUrl: 'https://prod.example/dir',
  stagingUrl: 'https://staging.example/dir',
  skipChallengeVerification: false,
};

describe('certificate names', () => {
  it('normalizes valid names', () => {
    expect(normalizeDomain('App.Example.COM.')).toBe('app.example.com');
    expect(defaultCertificateName('api.example.com')).toBe('proxy-api-example-com');
  });

  it.each([
    ['*.example.com', /wildcard/],
    ['exa mple.com', /not a valid DNS name/],
    ['-bad.example.com', /not a valid DNS name/],
    ['localhost', /at least one dot/],
    ['10.0.0.1', /IP address/],
    [`${'a'.repeat(64)}.example.com`, /at most 63/],
  ])('rejects %s', (input, message) => {
    expect(() => normalizeDomain(input)).toThrow(message);
  });

  it('rejects empty lists, more than 100 names and duplicates', () => {
    expect(() => normalizeDomains([])).toThrow(/at least one/);
    expect(() => normalizeDomains(Array.from({ length: 101 }, (_, i) => `h${i}.example.com`))).toThrow(
      /101 names; a certificate holds at most 100/,
    );
    expect(() => normalizeDomains(['a.example.com', 'A.example.com'])).toThrow(/"a.example.com" more than once/);
  });
});

describe('directory URL', () => {
  it('resolves aliases and URLs', () => {
    expect(resolveDirectoryUrl(undefined, acme)).toBe(acme.productionUrl);
    expect(resolveDirectoryUrl('production', acme)).toBe(acme.productionUrl);
    expect(resolveDirectoryUrl('staging', acme)).toBe(acme.stagingUrl);
    expect(resolveDirectoryUrl('https://127.0.0.1:14000/dir', acme)).toBe('https://127.0.0.1:14000/dir');
  });

  it('refuses what it cannot use', () => {
    expect(() => resolveDirectoryUrl('letsencrypt', acme)).toThrow(/not supported: use "production", "staging"/);
    expect(() => resolveDirectoryUrl('http://ca.example/dir', acme)).toThrow(
      /uses http: ACME directories are served over https/,
    );
    expect(() => resolveDirectoryUrl('https://u:p@ca.example/dir', acme)).toThrow(/credentials/);
  });
});
