import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { AppConfig, parseEnvironment } from '@app/config';
import { AccessTokenVerifier, OAuthSigningKey, type RevokedTokens } from '@app/oauth';
import { AccessTokenJwt, accessTokenJwtOptions } from '@app/oauth/tokens/jwt';
import { signRs256 } from '@app/oauth/tokens/testing/sign-rs256';
import { compilePolicy, type ResourceCatalog } from '@app/resources';
import { ProtectionDecider } from './protection-decider';
import { authConfigFrom, type HostProtection, type TargetAuthConfig } from './target-auth.config';

/**
 * The decider remembers allowed tokens per resource view; these run it with the real verifier and
 * real RS256 tokens to show what a remembered decision must still honour on every request.
 */
const ISSUER = 'https://auth.example.test';
const MCP = 'https://mcp.example.test/mcp';
const ADMIN = 'https://mcp.example.test/mcp/admin';

describe('ProtectionDecider: remembered decisions', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const config = new AppConfig(
    parseEnvironment({
      ADMIN_TOKEN: 'acm_0123456789abcdef0123',
      OAUTH_ISSUER: ISSUER,
      OAUTH_JWT_PRIVATE_KEY_B64: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })).toString('base64'),
    }),
  );
  const key = new OAuthSigningKey(config);
  const revokedSet = new Set<string>();
  const revoked = { isRevoked: (jti: string) => revokedSet.has(jti) } as unknown as RevokedTokens;
  const start = Date.UTC(2026, 10, 22, 12, 0, 0);
  const now = Math.floor(start / 1000);
  const token = (overrides: object = {}) =>
    signRs256(
      {
        iss: ISSUER,
        sub: '1001',
        aud: MCP,
        scope: 'mcp:read',
        client_id: 'client_x',
        exp: now + 600,
        iat: now,
        jti: 'jti-1',
        login: 'alice',
        ...overrides,
      },
      key.privateKey,
      key.kid,
    );

  const protection = (users: string[] = ['alice']): HostProtection => ({
    hostname: 'mcp.example.test',
    origin: 'https://mcp.example.test',
    auth: authConfigFrom({ required_users: users }, 'auth.example.test'),
    resources: [
      { uri: ADMIN, endpoint: '/mcp/admin', name: 'admin', scopes: ['mcp:admin'], registered: true },
      { uri: MCP, endpoint: '/mcp', name: 'mcp', scopes: ['mcp:read'], registered: true },
    ],
  });
  let current = protection();
  const catalog = {
    host: () => current,
    resourceFor: (h: HostProtection, path: string) =>
      h.resources.find((r) => path === r.endpoint || path.startsWith(`${r.endpoint}/`)),
  } as unknown as ResourceCatalog<TargetAuthConfig>;
  const verifier = new AccessTokenVerifier(
    new AccessTokenJwt(new JwtService(accessTokenJwtOptions(key))),
    revoked,
    config,
  );
  const verify = jest.spyOn(verifier, 'verify');
  const request = (path: string, t: string) => ({
    host: 'mcp.example.test',
    path,
    query: '',
    method: 'POST',
    origin: 'https://mcp.example.test',
    authorization: `Bearer ${t}`,
  });

  beforeEach(() => {
    jest.useFakeTimers({ now: start });
    current = protection();
    verify.mockClear();
  });
  afterEach(() => jest.useRealTimers());

  it('verifies a token once per resource and answers later requests from memory', () => {
    const d = new ProtectionDecider(catalog, verifier);
    const t = token({ jti: 'jti-memo' });
    const first = d.decide(request('/mcp', t));
    expect(first).toEqual({
      kind: 'allow',
      identity: expect.objectContaining({ 'X-Auth-User-Name': 'alice', 'X-Auth-User-Id': '1001' }),
      authenticated: true,
      fromCookie: false,
      subject: { user: 'alice', clientId: 'client_x', sub: '1001' },
      caller: { scopes: ['mcp:read'], login: 'alice', email: undefined, orgs: [], teams: [] },
      expiresAt: expect.any(Number) as number,
    });
    expect(d.decide(request('/mcp/tools', t))).toEqual(first);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('under a policy, hands out one governance per remembered token and resource view', () => {
    const policy = compilePolicy({ rules: [{ id: 'no-shell', method: 'tools/call', name: 'shell', deny: true }] });
    current = { ...current, resources: current.resources.map((r) => (r.uri === MCP ? { ...r, policy } : r)) };
    const d = new ProtectionDecider(catalog, verifier);
    const t = token({ jti: 'jti-governed' });
    const first = d.decide(request('/mcp', t));
    const again = d.decide(request('/mcp/below', t));
    if (first.kind !== 'allow' || again.kind !== 'allow') throw new Error('not allowed');
    expect(first.mcp).toBeDefined();
    expect(again.mcp).toBe(first.mcp);
    expect(first.mcp?.decide([{ method: 'tools/call', name: 'shell', rawId: 1, id: '1' }])).toMatchObject({
      decision: 'denied-identity',
      rule: 'no-shell',
    });
    // Another token: its own caller, so its own governance; the admin resource has no policy.
    const other = d.decide(request('/mcp', token({ jti: 'jti-other' })));
    expect(other.kind === 'allow' && other.mcp).not.toBe(first.mcp);
    const admin = d.decide(request('/mcp/admin', token({ jti: 'jti-admin', aud: ADMIN, scope: 'mcp:admin' })));
    expect(admin).toMatchObject({ kind: 'allow', mcp: undefined });
  });

  it('refuses a remembered token as soon as its exp passes', () => {
    const d = new ProtectionDecider(catalog, verifier);
    const t = token({ jti: 'jti-exp', exp: now + 60 });
    expect(d.decide(request('/mcp', t)).kind).toBe('allow');
    jest.setSystemTime(start + 59_999);
    expect(d.decide(request('/mcp', t)).kind).toBe('allow');
    jest.setSystemTime(start + 60_000);
    expect(d.decide(request('/mcp', t))).toMatchObject({
      kind: 'deny',
      status: 401,
      error: 'invalid_token',
      description: 'the token has expired',
    });
  });

  it('refuses a remembered token on the next request after its jti is revoked', () => {
    const d = new ProtectionDecider(catalog, verifier);
    const t = token({ jti: 'jti-revoke-later' });
    expect(d.decide(request('/mcp', t)).kind).toBe('allow');
    revokedSet.add('jti-revoke-later');
    expect(d.decide(request('/mcp', t))).toMatchObject({
      kind: 'deny',
      status: 401,
      error: 'invalid_token',
      description: 'the token has been revoked',
    });
  });

  it('does not carry a decision to another resource (audience, scopes) nor across a settings change', () => {
    const d = new ProtectionDecider(catalog, verifier);
    const t = token({ jti: 'jti-aud' });
    expect(d.decide(request('/mcp', t)).kind).toBe('allow');
    // /mcp/admin is another resource: the token's aud is /mcp and it lacks mcp:admin
    expect(d.decide(request('/mcp/admin', t))).toMatchObject({
      kind: 'deny',
      status: 401,
      error: 'invalid_token',
      description: 'the token was issued for another resource (aud)',
    });
    const both = token({ jti: 'jti-aud-2', aud: [MCP, ADMIN] });
    expect(d.decide(request('/mcp', both)).kind).toBe('allow');
    expect(d.decide(request('/mcp/admin', both))).toMatchObject({
      kind: 'deny',
      status: 403,
      error: 'insufficient_scope',
    });
    // the settings change (a new view): alice is no longer on the list
    current = protection(['bob']);
    expect(d.decide(request('/mcp', t))).toMatchObject({ kind: 'deny', status: 403, error: 'access_denied' });
  });
});
