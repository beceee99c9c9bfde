import { createHmac, generateKeyPairSync } from 'node:crypto';
import { AppConfig, parseEnvironment } from '@app/config';
import { AccessTokenVerifier, VERIFIED_TOKENS_MAX } from './access-token.verifier';
import { JwtService } from '@nestjs/jwt';
import { AccessTokenJwt, accessTokenJwtOptions } from './jwt';
import { RevokedTokens } from './revoked-tokens';
import { OAuthSigningKey, rsaThumbprint } from './signing-key';
import { signRs256 } from './testing/sign-rs256';

const ISSUER = 'https://auth.example.test';
const RESOURCE_A = 'https://a.example.test/mcp';
const RESOURCE_B = 'https://b.example.test/mcp';
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('AccessTokenVerifier', () => {
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
  const jwt = new AccessTokenJwt(new JwtService(accessTokenJwtOptions(key)));
  const verifier = new AccessTokenVerifier(jwt, revoked, config);
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER,
    sub: '1001',
    aud: RESOURCE_A,
    scope: 'mcp:read mcp:write',
    client_id: 'client_x',
    exp: now + 600,
    iat: now,
    jti: 'jti-1',
    login: 'alice',
    email: 'alice@example.test',
  };
  const token = (overrides: object = {}) => signRs256({ ...claims, ...overrides }, key.privateKey, key.kid);

  it('accepts a valid token for its resource and gives the identity headers', () => {
    const decision = verifier.verify(token(), {
      resource: `${RESOURCE_A}/`,
      requiredScopes: ['mcp:read'],
      allowedUsers: ['Alice'],
    });
    expect(decision).toEqual({
      allowed: true,
      claims: expect.objectContaining({ sub: '1001', login: 'alice' }),
      headers: {
        'X-Auth-User-Id': '1001',
        'X-Auth-User-Name': 'alice',
        'X-Auth-User-Email': 'alice@example.test',
        'X-Auth-Scopes': 'mcp:read mcp:write',
        'X-Auth-Client-Id': 'client_x',
      },
    });
    expect(verifier.verify(token(), { resource: RESOURCE_A, headerPrefix: 'X-User-' })).toMatchObject({
      allowed: true,
      headers: { 'X-User-User-Id': '1001' },
    });
  });

  it('rejects a token for resource A at resource B, unless B allows that audience', () => {
    expect(verifier.verify(token(), { resource: RESOURCE_B })).toEqual({
      allowed: false,
      status: 401,
      error: 'invalid_token',
      description: 'the token was issued for another resource (aud)',
    });
    expect(verifier.verify(token(), { resource: RESOURCE_B, allowedAudiences: [RESOURCE_A] })).toMatchObject({
      allowed: true,
    });
    expect(verifier.verify(token({ aud: [RESOURCE_B, RESOURCE_A] }), { resource: RESOURCE_A })).toMatchObject({
      allowed: true,
    });
  });

  it('rejects expired, revoked and foreign-issuer tokens', () => {
    expect(verifier.verify(token({ exp: now - 1 }), { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      status: 401,
      error: 'invalid_token',
      description: 'the token has expired',
    });
    expect(verifier.verify(token(), { resource: RESOURCE_A }, (now + 601) * 1000)).toMatchObject({
      allowed: false,
      description: 'the token has expired',
    });
    revokedSet.add('jti-revoked');
    expect(verifier.verify(token({ jti: 'jti-revoked' }), { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      status: 401,
      description: 'the token has been revoked',
    });
    expect(verifier.verify(token({ iss: 'https://evil.example' }), { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      status: 401,
      description: 'the token was issued by another authorization server',
    });
  });

  it('refuses alg "none" and HS256 signed with the public key', () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT', kid: key.kid })}.${b64(claims)}.`;
    expect(verifier.verify(unsigned, { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      status: 401,
      error: 'invalid_token',
      description: 'the token is not a well-formed JWT',
    });
    const noneWithSig = `${b64({ alg: 'none', kid: key.kid })}.${b64(claims)}.AAAA`;
    expect(verifier.verify(noneWithSig, { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      description: 'the token is not signed with RS256',
    });
    const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' });
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64(claims)}`;
    const hs256 = `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    expect(verifier.verify(hs256, { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      status: 401,
      description: 'the token is not signed with RS256',
    });
  });

  it('refuses tampered claims and tokens signed by another key', () => {
    const [h, , s] = token().split('.');
    expect(
      verifier.verify(`${h}.${b64({ ...claims, login: 'mallory' })}.${s}`, { resource: RESOURCE_A }),
    ).toMatchObject({ allowed: false, description: 'the token signature is invalid' });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(verifier.verify(signRs256(claims, other, key.kid), { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      description: 'the token signature is invalid',
    });
    expect(verifier.verify(signRs256(claims, key.privateKey, 'another-kid'), { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      description: 'the token was signed with an unknown key',
    });
    expect(verifier.verify('not.a.jwt', { resource: RESOURCE_A })).toMatchObject({
      allowed: false,
      description: 'the token is not a well-formed JWT',
    });
  });

  it('answers 403 insufficient_scope and 403 access_denied for users not on the list', () => {
    expect(
      verifier.verify(token({ scope: 'mcp:read' }), {
        resource: RESOURCE_A,
        requiredScopes: ['mcp:read', 'mcp:write'],
      }),
    ).toEqual({
      allowed: false,
      status: 403,
      error: 'insufficient_scope',
      description: 'the token lacks scope mcp:write',
    });
    expect(verifier.verify(token(), { resource: RESOURCE_A, allowedUsers: ['bob'] })).toEqual({
      allowed: false,
      status: 403,
      error: 'access_denied',
      description: 'user alice is not allowed here',
    });
    expect(verifier.verify(token(), { resource: RESOURCE_A, allowedUsers: ['*'] })).toMatchObject({ allowed: true });
  });

  it('derives the kid from the key (RFC 7638 thumbprint) and publishes it', () => {
    expect(key.kid).toBe(rsaThumbprint(key.publicKey));
    expect(key.jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: key.kid });
  });

  describe('cache of verified tokens', () => {
    const fresh = () => new AccessTokenVerifier(jwt, revoked, config);

    it('verifies the signature once per token string and still answers each request on its own', () => {
      const v = fresh();
      const spy = jest.spyOn(jwt, 'verify');
      try {
        const t = token({ jti: 'jti-cache-1' });
        for (let i = 0; i < 3; i++)
          expect(v.verify(t, { resource: RESOURCE_A, requiredScopes: ['mcp:read'] })).toMatchObject({
            allowed: true,
            headers: { 'X-Auth-User-Name': 'alice' },
          });
        expect(spy).toHaveBeenCalledTimes(1);
        expect(v.cachedTokens).toBe(1);
        // per-request requirements are applied to the cached token
        expect(v.verify(t, { resource: RESOURCE_A, requiredScopes: ['mcp:admin'] })).toMatchObject({
          allowed: false,
          status: 403,
          error: 'insufficient_scope',
        });
        expect(v.verify(t, { resource: RESOURCE_A, allowedUsers: ['bob'] })).toMatchObject({
          allowed: false,
          status: 403,
          error: 'access_denied',
        });
        expect(v.verify(t, { resource: RESOURCE_A, headerPrefix: 'X-User-' })).toMatchObject({
          allowed: true,
          headers: { 'X-User-User-Id': '1001' },
        });
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });

    it('never serves a cached token past its exp', () => {
      const v = fresh();
      const t = token({ jti: 'jti-cache-exp', exp: now + 60 });
      expect(v.verify(t, { resource: RESOURCE_A }, now * 1000)).toMatchObject({ allowed: true });
      expect(v.cachedTokens).toBe(1);
      expect(v.verify(t, { resource: RESOURCE_A }, (now + 59) * 1000 + 999)).toMatchObject({ allowed: true });
      expect(v.verify(t, { resource: RESOURCE_A }, (now + 60) * 1000)).toEqual({
        allowed: false,
        status: 401,
        error: 'invalid_token',
        description: 'the token has expired',
      });
      expect(v.cachedTokens).toBe(0);
      // an already expired token is not remembered at all
      expect(v.verify(token({ jti: 'jti-cache-old', exp: now - 1 }), { resource: RESOURCE_A })).toMatchObject({
        allowed: false,
        description: 'the token has expired',
      });
      expect(v.cachedTokens).toBe(0);
    });

    it('refuses a token revoked after it was cached, on the very next request', () => {
      const v = fresh();
      const t = token({ jti: 'jti-cache-revoked-later' });
      expect(v.verify(t, { resource: RESOURCE_A })).toMatchObject({ allowed: true });
      expect(v.cachedTokens).toBe(1);
      revokedSet.add('jti-cache-revoked-later');
      expect(v.verify(t, { resource: RESOURCE_A })).toEqual({
        allowed: false,
        status: 401,
        error: 'invalid_token',
        description: 'the token has been revoked',
      });
    });

    it('checks the audience per request: a token cached for resource A is refused at resource B', () => {
      const v = fresh();
      const t = token({ jti: 'jti-cache-aud' });
      expect(v.verify(t, { resource: RESOURCE_A })).toMatchObject({ allowed: true });
      expect(v.verify(t, { resource: RESOURCE_B })).toEqual({
        allowed: false,
        status: 401,
        error: 'invalid_token',
        description: 'the token was issued for another resource (aud)',
      });
      expect(v.verify(t, { resource: RESOURCE_B, allowedAudiences: [`${RESOURCE_A}/`] })).toMatchObject({
        allowed: true,
      });
      expect(v.verify(t, { resource: `${RESOURCE_A}/` })).toMatchObject({ allowed: true });
    });

    it('does not remember refused tokens, and a tampered copy of a cached token is still refused', () => {
      const v = fresh();
      const t = token({ jti: 'jti-cache-tamper' });
      expect(v.verify(t, { resource: RESOURCE_A })).toMatchObject({ allowed: true });
      const [h, , s] = t.split('.');
      const tampered = `${h}.${b64({ ...claims, jti: 'jti-cache-tamper', login: 'mallory' })}.${s}`;
      expect(v.verify(tampered, { resource: RESOURCE_A })).toMatchObject({
        allowed: false,
        description: 'the token signature is invalid',
      });
      expect(v.verify(token({ iss: 'https://evil.example' }), { resource: RESOURCE_A })).toMatchObject({
        allowed: false,
      });
      expect(v.cachedTokens).toBe(1);
    });

    it('is bounded: the oldest token goes first', () => {
      const v = fresh();
      const spy = jest.spyOn(jwt, 'verify').mockImplementation((t: string) => ({ payload: { ...claims, jti: t } }));
      try {
        for (let i = 0; i <= VERIFIED_TOKENS_MAX; i++)
          expect(v.verify(`t${i}`, { resource: RESOURCE_A })).toMatchObject({ allowed: true });
        expect(v.cachedTokens).toBe(VERIFIED_TOKENS_MAX);
        spy.mockClear();
        v.verify(`t${VERIFIED_TOKENS_MAX}`, { resource: RESOURCE_A });
        expect(spy).not.toHaveBeenCalled();
        v.verify('t0', { resource: RESOURCE_A });
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });
  });
});
