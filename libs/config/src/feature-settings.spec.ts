import { AppConfig } from './app-config';
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
    ).toEqual([
      expect.stringMatching(
        /^OAUTH_ALLOWED_GITHUB_USERS, OAUTH_ALLOWED_GITHUB_ORGS and OAUTH_ALLOWED_GITHUB_TEAMS are empty: nobody may sign in/,
      ),
    ]);
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

describe('organisations and teams that may sign in', () => {
  const github = {
    ...base,
    GITHUB_CLIENT_ID: 'i',
    GITHUB_CLIENT_SECRET: 's',
    STORAGE_ENCRYPTION_KEY: 'A'.repeat(43) + '=',
  };

  it('checks each entry and names the one to fix', () => {
    expect(problem({ ...github, OAUTH_ALLOWED_GITHUB_ORGS: 'acme, -bad' })).toBe(
      'OAUTH_ALLOWED_GITHUB_ORGS contains "-bad", which is not an organisation login such as acme (a comma-separated list is expected)',
    );
    expect(problem({ ...github, OAUTH_ALLOWED_GITHUB_TEAMS: 'acme/platform,acme' })).toBe(
      'OAUTH_ALLOWED_GITHUB_TEAMS contains "acme", which is not organisation/team-slug such as acme/platform (a comma-separated list is expected)',
    );
    expect(
      problem({ ...github, OAUTH_ALLOWED_GITHUB_ORGS: 'Acme,globex', OAUTH_ALLOWED_GITHUB_TEAMS: 'acme/x.y_z' }),
    ).toBeNull();
    expect(problem({ ...github, OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS: '2' })).toMatch(
      /^OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS /,
    );
  });

  it('refuses "*" users together with organisations or teams (they would never matter)', () => {
    expect(
      problem({ ...github, OAUTH_ALLOWED_GITHUB_USERS: '*', OAUTH_ALLOWED_GITHUB_TEAMS: 'acme/platform' }),
    ).toMatch(/^OAUTH_ALLOWED_GITHUB_USERS is "\*" \(anyone may sign in\), so OAUTH_ALLOWED_GITHUB_ORGS/);
    expect(problem({ ...github, OAUTH_ALLOWED_GITHUB_USERS: 'alice', OAUTH_ALLOWED_GITHUB_ORGS: 'acme' })).toBeNull();
  });

  it('does not warn "nobody may sign in" when organisations or teams are named; warns when tokens cannot be kept', () => {
    expect(featureWarnings(parseEnvironment({ ...github, OAUTH_ALLOWED_GITHUB_ORGS: 'acme' }))).toEqual([]);
    expect(featureWarnings(parseEnvironment({ ...github, OAUTH_ALLOWED_GITHUB_TEAMS: 'acme/a' }))).toEqual([]);
    const { STORAGE_ENCRYPTION_KEY: _key, ...keyless } = github;
    expect(
      featureWarnings(parseEnvironment({ ...keyless, AUTO_CERTIFICATES: 'false', OAUTH_ALLOWED_GITHUB_ORGS: 'acme' })),
    ).toEqual([expect.stringMatching(/^STORAGE_ENCRYPTION_KEY is not set: users' GitHub tokens are not kept/)]);
  });

  it('lists them lower-case and derives the GitHub Enterprise API from the base URL alone', () => {
    const config = (env: Record<string, string>) => new AppConfig(parseEnvironment({ ...github, ...env }));
    const oauth = config({
      OAUTH_ALLOWED_GITHUB_ORGS: 'Acme, Globex',
      OAUTH_ALLOWED_GITHUB_TEAMS: 'Acme/Platform',
    }).oauth;
    expect([oauth.allowedOrgs, oauth.allowedTeams, oauth.membershipTtl]).toEqual([
      ['acme', 'globex'],
      ['acme/platform'],
      600,
    ]);
    expect(config({}).github).toMatchObject({ baseUrl: 'https://github.com', apiUrl: 'https://api.github.com' });
    expect(config({ GITHUB_BASE_URL: 'https://ghe.example.test/' }).github).toMatchObject({
      baseUrl: 'https://ghe.example.test',
      apiUrl: 'https://ghe.example.test/api/v3',
    });
    expect(
      config({ GITHUB_BASE_URL: 'https://ghe.example.test', GITHUB_API_URL: 'https://api.ghe.example.test/' }).github,
    ).toMatchObject({ apiUrl: 'https://api.ghe.example.test' });
  });
});
