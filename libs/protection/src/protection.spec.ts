import type { AccessTokenVerifier, AccessDecision } from '@app/oauth';
import type { ResourceCatalog } from '@app/resources';
import { ProtectionDecider } from './protection-decider';
import {
  authConfigFrom,
  authConfigOf,
  isExcludedPath,
  userAllowed,
  type HostProtection,
  type TargetAuthConfig,
} from './target-auth.config';
import { membershipsOf } from './membership-claims';
import { forwardedRequest } from './verify.controller';

const protection = (overrides: Record<string, unknown> = {}): HostProtection => ({
  hostname: 'mcp.example.test',
  origin: 'https://mcp.example.test',
  auth: authConfigFrom({ required_users: ['alice'], ...overrides }, 'auth.example.test'),
  resources: [
    {
      uri: 'https://mcp.example.test/mcp/admin',
      endpoint: '/mcp/admin',
      name: 'admin',
      scopes: ['mcp:admin'],
      registered: true,
    },
    { uri: 'https://mcp.example.test/mcp', endpoint: '/mcp', name: 'mcp', scopes: ['mcp:read'], registered: true },
  ],
});

function decider(p: HostProtection, verdict: AccessDecision, seen: unknown[] = []): ProtectionDecider {
  const catalog = {
    host: () => p,
    resourceFor: (h: HostProtection, path: string) =>
      h.resources.find((r) => r.endpoint === '' || path === r.endpoint || path.startsWith(`${r.endpoint}/`)),
  } as unknown as ResourceCatalog<TargetAuthConfig>;
  const verifier = { verify: (...args: unknown[]) => (seen.push(args), verdict) } as unknown as AccessTokenVerifier;
  return new ProtectionDecider(catalog, verifier);
}

const allowed: AccessDecision = {
  allowed: true,
  claims: {
    iss: 'i',
    sub: '1',
    aud: 'https://mcp.example.test/mcp',
    scope: 'mcp:read',
    client_id: 'c',
    exp: 0,
    iat: 0,
    jti: 'j',
    login: 'alice',
  },
  headers: { 'X-Auth-User-Name': 'alice' },
};
const request = {
  host: 'mcp.example.test',
  path: '/mcp',
  query: '',
  method: 'POST',
  origin: 'https://mcp.example.test',
};

describe('target auth settings', () => {
  it('reads the stored slot tolerantly and defaults like the API', () => {
    expect(authConfigOf(null)).toBeNull();
    expect(authConfigOf({ enabled: true, mode: 'bogus', header_prefix: 'bad prefix!' })).toMatchObject({
      enabled: true,
      mode: 'forward',
      header_prefix: 'X-Auth-',
      pass_headers: true,
      forward_authorization: false,
    });
    expect(authConfigFrom({}, 'auth.x')).toMatchObject({
      enabled: true,
      auth_proxy: 'auth.x',
      mode: 'forward',
      required_users: [],
      cookie_name: 'proxy_session',
    });
  });

  it('reads a malformed stored slot as unreadable and protected, never as "anyone" or "auth off"', () => {
    expect(authConfigOf({ enabled: true, required_users: ['alice'] })?.unreadable).toBeUndefined();
    expect(authConfigOf({ enabled: true, mode: 'bogus', header_prefix: 'bad prefix!' })).toMatchObject({
      enabled: true,
      unreadable: 'mode is not one of forward, redirect, passthrough; header_prefix is not a valid value',
    });
    expect(authConfigOf({ enabled: true, required_users: 'alice' })).toMatchObject({
      enabled: true,
      unreadable: 'required_users is not a list of strings',
    });
    expect(authConfigOf({ enabled: 'yes' })).toMatchObject({ enabled: true, unreadable: 'enabled is not a boolean' });
    expect(authConfigOf({ enabled: false, required_emails: [1] })).toMatchObject({
      enabled: true,
      unreadable: 'required_emails is not a list of strings',
    });
    expect(authConfigOf('on' as unknown as Record<string, unknown>)).toMatchObject({
      enabled: true,
      unreadable: 'the slot is not an object',
    });
    // Attack review 17: shapes that read as "auth off" or "anyone" before.
    expect(authConfigOf({})).toMatchObject({ enabled: true, unreadable: 'enabled is missing' });
    expect(authConfigOf({ mode: 'forward', required_users: ['alice'] })).toMatchObject({
      enabled: true,
      unreadable: 'enabled is missing',
    });
    for (const excluded of [[''], ['mcp'], ['/ok', '/a b'], ['/x?y']])
      expect({ excluded, read: authConfigOf({ enabled: true, excluded_paths: excluded }) }).toMatchObject({
        excluded,
        read: { enabled: true, unreadable: 'excluded_paths is not a list of valid values' },
      });
    expect(authConfigOf({ enabled: true, excluded_paths: ['/health', '/'] })?.unreadable).toBeUndefined();
  });

  it('excludes path prefixes on segment boundaries', () => {
    expect(isExcludedPath('/health', ['/health'])).toBe(true);
    expect(isExcludedPath('/health/live', ['/health'])).toBe(true);
    expect(isExcludedPath('/healthz', ['/health'])).toBe(false);
    expect(isExcludedPath('/static-x', ['/static-'])).toBe(false);
    expect(isExcludedPath('/assets/a.js', ['/assets/'])).toBe(true);
  });

  it('treats ["*"] and empty lists as any signed-in user, else logins or e-mails', () => {
    const cfg = (users: string[], emails: string[] = []) =>
      authConfigFrom({ required_users: users, required_emails: emails }, 'a');
    expect(userAllowed(cfg(['*']), 'anyone', undefined)).toBe(true);
    expect(userAllowed(cfg([]), 'anyone', undefined)).toBe(true);
    expect(userAllowed(cfg(['Alice']), 'alice', undefined)).toBe(true);
    expect(userAllowed(cfg(['alice']), 'bob', undefined)).toBe(false);
    expect(userAllowed(cfg(['alice'], ['Bob@Example.test']), 'bob', 'bob@example.test')).toBe(true);
  });

  it('admits members of the organisations and teams a target names, besides logins and e-mails', () => {
    const cfg = authConfigFrom({ required_orgs: [' Acme '], required_teams: ['Globex/Platform'] }, 'a');
    expect([cfg.required_orgs, cfg.required_teams]).toEqual([['acme'], ['globex/platform']]);
    const member = (orgs: string[], teams: string[] = []) => userAllowed(cfg, 'bob', undefined, { orgs, teams });
    expect(member(['acme'])).toBe(true);
    expect(member([], ['globex/platform'])).toBe(true);
    expect(member(['globex'])).toBe(false); // the organisation of the team is not the team
    expect(member([], ['acme/platform'])).toBe(false);
    expect(userAllowed(cfg, 'bob', undefined)).toBe(false); // no membership claims at all
    // Naming only organisations no longer means "anyone": the empty login and e-mail lists do not open it.
    expect(userAllowed(authConfigFrom({ required_orgs: ['acme'] }, 'a'), 'anyone', undefined)).toBe(false);
    expect(userAllowed(authConfigFrom({ required_users: ['*'], required_orgs: ['acme'] }, 'a'), 'x', undefined)).toBe(
      true,
    );
  });

  it('reads stored organisations and teams in lower case; a malformed entry makes the settings unreadable', () => {
    expect(authConfigOf({ enabled: true, required_orgs: ['ACME'], required_teams: ['Acme/Platform'] })).toMatchObject({
      required_orgs: ['acme'],
      required_teams: ['acme/platform'],
    });
    expect(authConfigOf({ enabled: true })).toMatchObject({ required_orgs: [], required_teams: [] });
    for (const slot of [
      { required_orgs: 'acme' },
      { required_orgs: ['acme', 'not an org'] },
      { required_orgs: ['-acme'] },
      { required_teams: ['acme'] },
      { required_teams: [['acme/platform']] },
    ])
      expect(authConfigOf({ enabled: false, ...slot })).toMatchObject({
        enabled: true,
        unreadable: expect.stringMatching(/^required_(orgs|teams) is not a list of valid values$/),
      });
  });
});

describe('membership claims', () => {
  it('reads arrays of strings in lower case; anything else is no membership', () => {
    expect(membershipsOf({ orgs: ['Acme', 'acme'], teams: ['Acme/Platform'] })).toEqual({
      orgs: ['acme'],
      teams: ['acme/platform'],
    });
    expect(membershipsOf({})).toEqual({ orgs: [], teams: [] });
    for (const bad of ['acme', { acme: true }, ['acme', 1], [''], null, 7])
      expect({ bad, read: membershipsOf({ orgs: bad, teams: bad }) }).toEqual({
        bad,
        read: { orgs: [], teams: [] },
      });
  });
});

describe('ProtectionDecider', () => {
  it('refuses every request, preflight and excluded paths too, when the settings are unreadable', () => {
    const seen: unknown[] = [];
    const broken: HostProtection = {
      ...protection({ excluded_paths: ['/public/'] }),
      auth: { ...authConfigFrom({ excluded_paths: ['/public/'] }, 'a'), unreadable: 'mode is not one of forward' },
    };
    const d = decider(broken, allowed, seen);
    const refused = {
      kind: 'deny',
      status: 503,
      error: 'temporarily_unavailable',
      description:
        'the protection settings of mcp.example.test (its auth settings, resources or MCP policy) cannot be applied: every request is refused until they are set again',
      headers: { 'cache-control': 'no-store' },
    };
    expect(d.decide({ ...request, authorization: 'Bearer abc' })).toEqual(refused);
    expect(d.decide({ ...request, method: 'OPTIONS' })).toEqual(refused);
    expect(d.decide({ ...request, path: '/public/x' })).toEqual(refused);
    expect(seen).toEqual([]);
  });

  it('answers preflight before anything and lets excluded paths through anonymously', () => {
    const d = decider(protection({ excluded_paths: ['/public'] }), allowed);
    expect(d.decide({ ...request, method: 'OPTIONS' }).kind).toBe('preflight');
    expect(d.decide({ ...request, path: '/public/x' })).toEqual({ kind: 'allow', identity: {}, authenticated: false });
  });

  it('challenges without a token, naming the path-inserted metadata of the longest matching endpoint', () => {
    const outcome = decider(protection(), allowed).decide({ ...request, path: '/mcp/admin/x' });
    expect(outcome).toMatchObject({ kind: 'deny', status: 401, error: 'unauthorized' });
    expect((outcome as { headers: Record<string, string> }).headers['www-authenticate']).toBe(
      'Bearer resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp/admin", scope="mcp:admin"',
    );
  });

  it('refuses query-string tokens and malformed Authorization headers', () => {
    const d = decider(protection(), allowed);
    expect(d.decide({ ...request, query: 'a=1&access_token=x' })).toMatchObject({
      status: 400,
      error: 'invalid_request',
    });
    expect(d.decide({ ...request, authorization: 'Basic abc' })).toMatchObject({
      status: 401,
      error: 'invalid_request',
    });
    expect(d.decide({ ...request, authorization: 'Bearer a"b' })).toMatchObject({
      status: 401,
      error: 'invalid_request',
    });
  });

  it('verifies against the matched resource and its scopes, then applies the allowlist', () => {
    const seen: unknown[][] = [];
    const d = decider(protection(), allowed, seen);
    expect(d.decide({ ...request, authorization: 'Bearer abc.def.ghi' })).toEqual({
      kind: 'allow',
      identity: { 'X-Auth-User-Name': 'alice' },
      authenticated: true,
      fromCookie: false,
      subject: { user: 'alice', clientId: 'c', sub: '1' },
      caller: { scopes: ['mcp:read'], login: 'alice', email: undefined, orgs: [], teams: [] },
      expiresAt: 0, // the token's exp: an upgraded connection ends then
    });
    expect(seen[0][1]).toMatchObject({
      resource: 'https://mcp.example.test/mcp',
      requiredScopes: ['mcp:read'],
      allowedAudiences: [],
    });
    const bob = decider(protection(), { ...allowed, claims: { ...allowed.claims, login: 'bob' } } as AccessDecision);
    expect(bob.decide({ ...request, authorization: 'Bearer abc.def.ghi' })).toMatchObject({
      status: 403,
      error: 'access_denied',
    });
  });

  it("admits by the token's orgs and teams claims where the target names them; the 403 names the memberships, not the lists", () => {
    const target = protection({
      required_users: ['carol'],
      required_emails: ['dan@example.test'],
      required_orgs: ['acme'],
      required_teams: ['globex/platform'],
    });
    const as = (claims: Record<string, unknown>) =>
      decider(target, { ...allowed, claims: { ...allowed.claims, login: 'bob', ...claims } } as AccessDecision).decide({
        ...request,
        authorization: 'Bearer abc.def.ghi',
      });
    expect(as({ orgs: ['ACME'] })).toMatchObject({
      kind: 'allow',
      caller: { login: 'bob', orgs: ['acme'], teams: [] },
    });
    expect(as({ teams: ['globex/platform'] })).toMatchObject({ kind: 'allow', caller: { teams: ['globex/platform'] } });
    for (const claims of [{}, { orgs: 'acme' }, { orgs: ['globex'] }, { teams: ['acme/platform'] }]) {
      const outcome = as(claims);
      expect(outcome).toMatchObject({ kind: 'deny', status: 403, error: 'access_denied' });
      const description = (outcome as { description: string }).description;
      expect(description).toBe(
        'user bob is not allowed on mcp.example.test: it admits members of the GitHub organisation acme or the team globex/platform (memberships are read from GitHub when a token is issued: get a new token after joining)',
      );
      expect(description).not.toMatch(/carol|dan@/);
    }
  });

  it('accepts any of the host resources outside every endpoint', () => {
    const seen: unknown[][] = [];
    decider(protection(), allowed, seen).decide({ ...request, path: '/other', authorization: 'Bearer abc' });
    expect(seen[0][1]).toMatchObject({
      resource: undefined,
      allowedAudiences: ['https://mcp.example.test/mcp/admin', 'https://mcp.example.test/mcp'],
      requiredScopes: ['mcp:read'],
    });
  });

  it('passthrough never refuses; redirect mode sends browsers to sign in and reads the session cookie', () => {
    const refused: AccessDecision = {
      allowed: false,
      status: 401,
      error: 'invalid_token',
      description: 'the token has expired',
    };
    expect(
      decider(protection({ mode: 'passthrough' }), refused).decide({ ...request, authorization: 'Bearer x' }),
    ).toEqual({ kind: 'allow', identity: {}, authenticated: false, caller: { scopes: [], login: '' } });
    const redirect = protection({ mode: 'redirect' });
    expect(decider(redirect, allowed).decide({ ...request, method: 'GET' }).kind).toBe('login');
    expect(decider(redirect, allowed).decide({ ...request, method: 'POST' }).kind).toBe('deny');
    expect(
      decider(redirect, allowed).decide({ ...request, method: 'GET', cookie: 'a=1; proxy_session=tok' }),
    ).toMatchObject({ kind: 'allow', fromCookie: true });
    expect(decider(redirect, refused).decide({ ...request, method: 'GET', cookie: 'proxy_session=old' }).kind).toBe(
      'login',
    );
  });
});

describe('helpers', () => {
  it('reads the original request of a forward-auth call from Traefik/Caddy, nginx or ?resource=', () => {
    expect(
      forwardedRequest(
        {
          'x-forwarded-host': 'App.example.test:8443',
          'x-forwarded-uri': '/mcp?x=1',
          'x-forwarded-proto': 'https',
          'x-forwarded-method': 'post',
        },
        undefined,
      ),
    ).toEqual({
      host: 'app.example.test',
      authority: 'App.example.test:8443',
      proto: 'https',
      method: 'POST',
      pathAndQuery: '/mcp?x=1',
    });
    expect(forwardedRequest({ 'x-original-url': 'http://app.example.test/a/b' }, undefined)).toMatchObject({
      host: 'app.example.test',
      proto: 'http',
      pathAndQuery: '/a/b',
      method: 'GET',
    });
    expect(forwardedRequest({}, 'https://mcp.example.test/mcp')).toMatchObject({
      host: 'mcp.example.test',
      pathAndQuery: '/mcp',
    });
    // X-Original-URL's path as written (the verify endpoint makes it canonical like the proxy), not WHATWG's resolution.
    expect(
      forwardedRequest({ 'x-original-url': 'http://app.example.test/a/%2e%2e/b\\c?q=1#f' }, undefined),
    ).toMatchObject({ host: 'app.example.test', pathAndQuery: '/a/%2e%2e/b\\c?q=1' });
    expect(forwardedRequest({ 'x-original-url': 'http://app.example.test?q=1' }, undefined)).toMatchObject({
      pathAndQuery: '/?q=1',
    });
    expect(forwardedRequest({}, undefined)).toBeNull();
  });
});
