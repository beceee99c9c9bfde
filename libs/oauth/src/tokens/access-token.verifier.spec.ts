import { createHmac, generateKeyPairSync } from 'node:crypto';
import { AppConfig, parseEnvironment } from '@app/config';
import { AccessTokenVerifier } from './access-token.verifier';
import { signRs256 } from './jwt';
import { RevokedTokens } from './revoked-tokens';
import { OAuthSigningKey, rsaThumbprint } from './signing-key';

const ISSUER = 'https://auth.example.test';
const RESOURCE_A = 'https://a.example.test/mcp';
const RESOURCE_B = 'https://b.example.test/mcp';
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('AccessTokenVerifier', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const config = new AppConfig(
    parseEnvironment({ ADMIN_TOKEN: 'acm_0123456789abcdef0123', OAUTH_ISSUER: ISSUER, OAUTH_JWT_PRIVATE_KEY_B64: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })).toString('base64') }),
  );
  const key = new OAuthSigningKey(config);
  const revokedSet = new Set<string>();
  const revoked = { isRevoked: (jti: string) => revokedSet.has(jti) } as unknown as RevokedTokens;
  const verifier = new AccessTokenVerifier(key, revoked, config);
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, sub: '1001', aud: RESOURCE_A, scope: 'mcp:read mcp:write', client_id: 'client_x', exp: now + 600, iat: now, jti: 'jti-1', login: 'alice', email: 'alice@example.test' };
  const token = (overrides: object = {}) => signRs256({ ...claims, ...overrides }, key.privateKey, key.kid);

  it('accepts a valid token for its resource and gives the identity headers', () => {
    const decision = verifier.verify(token(), { resource: `${RESOURCE_A}/`, requiredScopes: ['mcp:read'], allowedUsers: ['Alice'] });
    expect(decision).toEqual({
      allowed: true,
      claims: expect.objectContaining({ sub: '1001', login: 'alice' }),
      headers: { 'X-Auth-User-Id': '1001', 'X-Auth-User-Name': 'alice', 'X-Auth-User-Email': 'alice@example.test', 'X-Auth-Scopes': 'mcp:read mcp:write', 'X-Auth-Client-Id': 'client_x' },
    });
    expect(verifier.verify(token(), { resource: RESOURCE_A, headerPrefix: 'X-User-' })).toMatchObject({ allowed: true, headers: { 'X-User-User-Id': '1001' } });
  });

  it('rejects a token for resource A at resource B, unless B allows that audience', () => {
    expect(verifier.verify(token(), { resource: RESOURCE_B })).toEqual({ allowed: false, status: 401, error: 'invalid_token', description: 'the token was issued for another resource (aud)' });
    expect(verifier.verify(token(), { resource: RESOURCE_B, allowedAudiences: [RESOURCE_A] })).toMatchObject({ allowed: true });
    expect(verifier.verify(token({ aud: [RESOURCE_B, RESOURCE_A] }), { resource: RESOURCE_A })).toMatchObject({ allowed: true });
  });

  it('rejects expired, revoked and foreign-issuer tokens', () => {
    expect(verifier.verify(token({ exp: now - 1 }), { resource: RESOURCE_A })).toMatchObject({ allowed: false, status: 401, error: 'invalid_token', description: 'the token has expired' });
    expect(verifier.verify(token(), { resource: RESOURCE_A }, (now + 601) * 1000)).toMatchObject({ allowed: false, description: 'the token has expired' });
    revokedSet.add('jti-revoked');
    expect(verifier.verify(token({ jti: 'jti-revoked' }), { resource: RESOURCE_A })).toMatchObject({ allowed: false, status: 401, description: 'the token has been revoked' });
    expect(verifier.verify(token({ iss: 'https://evil.example' }), { resource: RESOURCE_A })).toMatchObject({ allowed: false, status: 401, description: 'the token was issued by another authorization server' });
  });

  it('refuses alg "none" and HS256 signed with the public key', () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT', kid: key.kid })}.${b64(claims)}.`;
    expect(verifier.verify(unsigned, { resource: RESOURCE_A })).toMatchObject({ allowed: false, status: 401, error: 'invalid_token', description: 'the token is not a well-formed JWT' });
    const noneWithSig = `${b64({ alg: 'none', kid: key.kid })}.${b64(claims)}.AAAA`;
    expect(verifier.verify(noneWithSig, { resource: RESOURCE_A })).toMatchObject({ allowed: false, description: 'the token is not signed with RS256' });
    const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' });
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64(claims)}`;
    const hs256 = `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    expect(verifier.verify(hs256, { resource: RESOURCE_A })).toMatchObject({ allowed: false, status: 401, description: 'the token is not signed with RS256' });
  });

  it('refuses tampered claims and tokens signed by another key', () => {
    const [h, , s] = token().split('.');
    expect(verifier.verify(`${h}.${b64({ ...claims, login: 'mallory' })}.${s}`, { resource: RESOURCE_A })).toMatchObject({ allowed: false, description: 'the token signature is invalid' });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(verifier.verify(signRs256(claims, other, key.kid), { resource: RESOURCE_A })).toMatchObject({ allowed: false, description: 'the token signature is invalid' });
    expect(verifier.verify(signRs256(claims, key.privateKey, 'another-kid'), { resource: RESOURCE_A })).toMatchObject({ allowed: false, description: 'the token was signed with an unknown key' });
    expect(verifier.verify('not.a.jwt', { resource: RESOURCE_A })).toMatchObject({ allowed: false, description: 'the token is not a well-formed JWT' });
  });

  it('answers 403 insufficient_scope and 403 access_denied for users not on the list', () => {
    expect(verifier.verify(token({ scope: 'mcp:read' }), { resource: RESOURCE_A, requiredScopes: ['mcp:read', 'mcp:write'] })).toEqual({ allowed: false, status: 403, error: 'insufficient_scope', description: 'the token lacks scope mcp:write' });
    expect(verifier.verify(token(), { resource: RESOURCE_A, allowedUsers: ['bob'] })).toEqual({ allowed: false, status: 403, error: 'access_denied', description: 'user alice is not allowed here' });
    expect(verifier.verify(token(), { resource: RESOURCE_A, allowedUsers: ['*'] })).toMatchObject({ allowed: true });
  });

  it('derives the kid from the key (RFC 7638 thumbprint) and publishes it', () => {
    expect(key.kid).toBe(rsaThumbprint(key.publicKey));
    expect(key.jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: key.kid });
  });
});
