import { bearerCredentials, bearerToken, isB64Token, uncheckedBearerToken } from './bearer';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl-_';

describe('bearer credentials (RFC 6750 §2.1)', () => {
  // Moved from libs/protection/src/protection.spec.ts (the decider's fast path, now shared).
  it('reads Bearer credentials exactly as the RFC 6750 pattern does, without a regex over the token', () => {
    const reference = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i;
    const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;
    const jwt = JWT;
    const headers = [
      `Bearer ${jwt}`,
      `bearer ${jwt}`,
      `BEARER ${jwt}`,
      `BeArEr   ${jwt}`,
      `Bearer ${jwt}  `,
      `Bearer ${jwt}\t`,
      `Bearer ${jwt}\u00a0`,
      'Bearer abc==',
      'Bearer abc=d',
      'Bearer a b',
      'Bearer ',
      'Bearer  ',
      'Bearer',
      'Bearerx abc',
      'Bearer\tabc',
      ' Bearer abc',
      'Basic dXNlcjpwYXNz',
      'Bearer% abc',
      'Bearer abc,def',
      'Bearer ab"c',
      'Bearer é',
      'Cearer abc',
      'Bdarer abc',
      'bEARER x',
      'Bearer\u00a0abc',
      'Bearer @bc',
    ];
    for (const header of headers) {
      const credentials = uncheckedBearerToken(header);
      const ours = credentials !== undefined && b64token.test(credentials) ? credentials : undefined;
      expect({ header, token: ours }).toEqual({ header, token: reference.exec(header)?.[1] });
      // The checked reader agrees with the fast path plus the b64token check.
      expect({ header, token: bearerToken(header) }).toEqual({ header, token: reference.exec(header)?.[1] });
    }
  });

  it('tells an absent header from a malformed one', () => {
    expect(bearerCredentials(undefined)).toEqual({ kind: 'absent' });
    expect(bearerCredentials('')).toEqual({ kind: 'absent' });
    expect(bearerCredentials('  ')).toEqual({ kind: 'absent' });
    for (const header of ['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a"b', 'Token abc'])
      expect({ header, credentials: bearerCredentials(header) }).toEqual({
        header,
        credentials: { kind: 'malformed' },
      });
    expect(bearerCredentials(`Bearer ${JWT}`)).toEqual({ kind: 'token', token: JWT });
  });

  it('takes the scheme in any case and one or more spaces, but no tab', () => {
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('BEARER abc')).toBe('abc');
    expect(bearerToken('Bearer    abc')).toBe('abc');
    expect(bearerToken('Bearer\tabc')).toBeUndefined();
    expect(bearerToken('Bearer \tabc')).toBeUndefined();
    expect(bearerToken('Bearer abc\t')).toBe('abc');
  });

  it('accepts "=" padding only at the end', () => {
    expect(bearerToken('Bearer abc=')).toBe('abc=');
    expect(bearerToken('Bearer abc==')).toBe('abc==');
    expect(bearerToken('Bearer =')).toBeUndefined();
    expect(bearerToken('Bearer a=b')).toBeUndefined();
  });

  it('refuses characters outside b64token and two values joined by a comma', () => {
    for (const header of [
      'Bearer a!b',
      'Bearer a:b',
      'Bearer a;b',
      'Bearer a%20b',
      'Bearer a\u00e9',
      'Bearer a, Bearer b',
      'Bearer abc,Bearer def',
      'Bearer abc, Basic dXNlcjpwYXNz',
      'Bearer realm="x"',
    ])
      expect({ header, token: bearerToken(header) }).toEqual({ header, token: undefined });
  });

  it('knows the b64token alphabet', () => {
    expect(isB64Token('AZaz09-._~+/')).toBe(true);
    expect(isB64Token('acm_0123456789abcdef==')).toBe(true);
    expect(isB64Token('')).toBe(false);
    expect(isB64Token('a b')).toBe(false);
  });
});
