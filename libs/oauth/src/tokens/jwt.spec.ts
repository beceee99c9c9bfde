import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { AppConfig, parseEnvironment } from '@app/config';
import { AccessTokenClaims, AccessTokenJwt, accessTokenJwtOptions } from './jwt';
import { OAuthSigningKey } from './signing-key';
import { signRs256 } from './testing/sign-rs256';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const part = (token: string, i: number): unknown =>
  JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString());

describe('AccessTokenJwt (JwtService, RS256 pinned, key by kid)', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const config = new AppConfig(
    parseEnvironment({
      ADMIN_TOKEN: 'acm_0123456789abcdef0123',
      OAUTH_ISSUER: 'https://auth.example.test',
      OAUTH_JWT_PRIVATE_KEY_B64: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })).toString('base64'),
    }),
  );
  const key = new OAuthSigningKey(config);
  const jwt = new AccessTokenJwt(new JwtService(accessTokenJwtOptions(key)));
  const now = Math.floor(Date.now() / 1000);
  const claims: AccessTokenClaims = {
    iss: 'https://auth.example.test',
    sub: '1001',
    aud: 'https://a.example.test/mcp',
    scope: 'mcp:read',
    client_id: 'client_x',
    exp: now + 600,
    iat: now,
    jti: 'jti-1',
    login: 'alice',
  };

  it('signs exactly the token the hand-written RS256 signer made: same header, claims and signature', () => {
    const token = jwt.sign(claims);
    expect(part(token, 0)).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: key.kid });
    expect(token).toBe(signRs256(claims, key.privateKey, key.kid));
    expect(jwt.verify(token)).toEqual({ payload: claims });
  });

  it('leaves expiry to the caller (the verifier checks exp against its own clock)', () => {
    const expired = { ...claims, exp: now - 3600, iat: now - 7200 };
    expect(jwt.verify(jwt.sign(expired))).toEqual({ payload: expired });
  });

  it('names why a token is refused', () => {
    const signed = (c: unknown, kid = key.kid) => signRs256(c as object, key.privateKey, kid);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const cases: [string, string][] = [
      ['', 'malformed'],
      ['not.a.jwt', 'malformed'],
      [`${b64({ alg: 'none', kid: key.kid })}.${b64(claims)}.`, 'malformed'],
      [`${b64({ alg: 'none', kid: key.kid })}.${b64(claims)}.AAAA`, 'algorithm'],
      [`${b64({ alg: 'HS256', kid: key.kid })}.${b64(claims)}.AAAA`, 'algorithm'],
      // a foreign alg is refused as such, before its unknown kid (as the hand-written check did)
      [`${b64({ alg: 'none', kid: 'another-kid' })}.${b64(claims)}.AAAA`, 'algorithm'],
      [signed(claims, 'another-kid'), 'key'],
      [`${b64({ alg: 'RS256', typ: 'at+jwt' })}.${b64(claims)}.AAAA`, 'key'],
      [signRs256(claims, other, key.kid), 'signature'],
      [signed([claims]), 'malformed'],
      [signed('a string'), 'malformed'],
    ];
    for (const [token, problem] of cases) expect([token, jwt.verify(token)]).toEqual([token, { problem }]);
  });
});
