import { consentPage } from '../flow/pages';
import { admitted, membershipsAmong, namedSubjects } from './admission';

const settings = (users: '*' | string[], orgs: string[] = [], teams: string[] = []) => ({
  allowedUsers: users,
  allowedOrgs: orgs,
  allowedTeams: teams,
});

describe('global admission', () => {
  it('admits a listed user, or a member of an allowed organisation or team', () => {
    const allowed = settings(['alice'], ['acme'], ['globex/platform']);
    expect(admitted(allowed, 'Alice', undefined)).toBe(true);
    expect(admitted(allowed, 'bob', { orgs: ['acme'], teams: [] })).toBe(true);
    expect(admitted(allowed, 'bob', { orgs: ['globex'], teams: ['globex/platform'] })).toBe(true);
    expect(admitted(allowed, 'bob', { orgs: ['globex'], teams: ['globex/other'] })).toBe(false);
    expect(admitted(settings('*'), 'anyone', undefined)).toBe(true);
  });

  it('refuses a member whose memberships are unknown (fail closed)', () => {
    expect(admitted(settings([], ['acme']), 'bob', undefined)).toBe(false);
    expect(admitted(settings([]), 'bob', { orgs: ['acme'], teams: [] })).toBe(false);
  });

  it('puts in a token only the memberships named globally or for its resources', () => {
    const named = namedSubjects(settings([], ['acme']), { orgs: ['initech'], teams: ['acme/platform'] });
    expect(named).toEqual({ orgs: ['acme', 'initech'], teams: ['acme/platform'] });
    expect(
      membershipsAmong({ orgs: ['acme', 'secret', 'initech'], teams: ['acme/platform', 'acme/secret'] }, named),
    ).toEqual({ orgs: ['acme', 'initech'], teams: ['acme/platform'] });
  });
});

describe('the consent page', () => {
  const consent = (memberships?: { orgs: string[]; teams: string[] }) =>
    consentPage({
      id: 'c1',
      csrf_token: 'csrf',
      session_id: 's',
      user: { id: '1', login: 'bob' },
      request: {
        id: 'r',
        client_id: 'c',
        client_name: 'App',
        redirect_uri: 'https://app.example.test/cb',
        code_challenge: 'x',
        scopes: ['mcp:read'],
        resources: [],
      },
      memberships,
    });

  it('names the memberships that admitted the user, escaped', () => {
    expect(consent({ orgs: [], teams: ['acme/platform'] })).toContain(
      '<p>You may use this as a member of the team <code>acme/platform</code>.</p>',
    );
    expect(consent({ orgs: ['acme', 'initech'], teams: ['acme/a.b'] })).toContain(
      'as a member of the organisation <code>acme</code>, the organisation <code>initech</code> and the team <code>acme/a.b</code>.',
    );
    expect(consent({ orgs: ['<b>x</b>'], teams: [] })).toContain('<code>&lt;b&gt;x&lt;/b&gt;</code>');
    expect(consent()).not.toContain('You may use this');
  });
});
