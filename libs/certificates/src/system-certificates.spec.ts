import { isCertifiableHostname, isSystemCertificate, SYSTEM_OWNER, systemCertificateName } from './system-certificates';

describe('system certificate names', () => {
  it('names them system-<host>, never a tenant token or the proxy-<host> of a target', () => {
    expect(systemCertificateName('auth.example.com')).toBe('system-auth-example-com');
    expect(isSystemCertificate({ owner: SYSTEM_OWNER })).toBe(true);
    expect(isSystemCertificate({ owner: 'ADMIN' })).toBe(false);
  });

  it('never orders names no CA can validate (localhost, single labels)', () => {
    expect(isCertifiableHostname('auth.example.com')).toBe(true);
    expect(isCertifiableHostname('auth.localhost')).toBe(false);
    expect(isCertifiableHostname('localhost')).toBe(false);
    expect(isCertifiableHostname('intranet')).toBe(false);
  });
});
