import { parseEnvironment } from './environment';
import { featureWarnings } from './feature-settings';

const base = { ADMIN_TOKEN: 'acm_0123456789abcdefghij' };
const problem = (raw: Record<string, string>) => {
  try {
    parseEnvironment(raw);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('settings that make a feature impossible', () => {
  it('refuses half a GitHub app and an unreadable or empty ACME CA bundle', () => {
    expect(problem({ ...base, GITHUB_CLIENT_ID: 'id' })).toMatch(
      /^GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set/,
    );
    expect(problem({ ...base, GITHUB_CLIENT_SECRET: 'secret' })).toMatch(
      /^GITHUB_CLIENT_ID is required when GITHUB_CLIENT_SECRET is set/,
    );
    expect(problem({ ...base, GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'secret' })).toBeNull();
    expect(problem({ ...base, ACME_CA_BUNDLE: '/nonexistent.pem' })).toBe(
      "ACME_CA_BUNDLE cannot be read (/nonexistent.pem: ENOENT): it must be a PEM file of the ACME server's CA certificates",
    );
    expect(problem({ ...base, ACME_CA_BUNDLE: __filename })).toMatch(/holds no PEM certificate/);
  });

  it('warns about certificates without a storage key (only with AUTO_CERTIFICATES) and about GitHub login', () => {
    const key = 'A'.repeat(43) + '=';
    expect(featureWarnings(parseEnvironment({ ...base }))).toEqual([
      expect.stringMatching(/^STORAGE_ENCRYPTION_KEY is not set/),
      expect.stringMatching(/^GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET are not set/),
    ]);
    expect(featureWarnings(parseEnvironment({ ...base, AUTO_CERTIFICATES: 'false' }))).toEqual([
      expect.stringMatching(/^GITHUB_CLIENT_ID/),
    ]);
    expect(
      featureWarnings(
        parseEnvironment({ ...base, STORAGE_ENCRYPTION_KEY: key, GITHUB_CLIENT_ID: 'i', GITHUB_CLIENT_SECRET: 's' }),
      ),
    ).toEqual([expect.stringMatching(/^OAUTH_ALLOWED_GITHUB_USERS is empty/)]);
    expect(
      featureWarnings(
        parseEnvironment({
          ...base,
          STORAGE_ENCRYPTION_KEY: key,
          GITHUB_CLIENT_ID: 'i',
          GITHUB_CLIENT_SECRET: 's',
          OAUTH_ALLOWED_GITHUB_USERS: '*',
        }),
      ),
    ).toEqual([]);
  });
});
