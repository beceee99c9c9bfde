import { canonicalPath, isPlainPath, isRefusal } from './canonical-path';

const refusalOf = (path: string): string => {
  const result = canonicalPath(path);
  if (!isRefusal(result)) throw new Error(`${path} was not refused: ${result}`);
  return result.refused;
};

describe('canonicalPath', () => {
  it('answers a plain path itself (the fast path)', () => {
    for (const path of ['/', '/mcp', '/a/b/c/', '/a.b/c.d', '/a-b_c~d/e;f=1/g:h@i', '/a|b{c}']) {
      expect(isPlainPath(path)).toBe(true);
      expect(canonicalPath(path)).toBe(path);
    }
  });

  it('removes dot segments as RFC 3986 §5.2.4 does (its §5.4 results, as absolute paths)', () => {
    const cases: [string, string][] = [
      ['/a/b/c/./../../g', '/a/g'],
      ['/mid/content=5/../6', '/mid/6'],
      ['/b/c/./g', '/b/c/g'],
      ['/b/c/.', '/b/c/'],
      ['/b/c/./', '/b/c/'],
      ['/b/c/..', '/b/'],
      ['/b/c/../', '/b/'],
      ['/b/c/../g', '/b/g'],
      ['/b/c/../..', '/'],
      ['/b/c/../../g', '/g'],
      ['/b/c/g.', '/b/c/g.'],
      ['/b/c/.g', '/b/c/.g'],
      ['/b/c/g..', '/b/c/g..'],
      ['/b/c/..g', '/b/c/..g'],
      ['/b/c/./../g', '/b/g'],
      ['/b/c/g/./h', '/b/c/g/h'],
      ['/b/c/g/../h', '/b/c/h'],
      ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource'],
    ];
    for (const [path, expected] of cases) expect([path, canonicalPath(path)]).toEqual([path, expected]);
  });

  it('keeps a path that climbs above the root at the root', () => {
    expect(canonicalPath('/..')).toBe('/');
    expect(canonicalPath('/../../admin')).toBe('/admin');
    expect(canonicalPath('/.')).toBe('/');
    expect(canonicalPath('/public/../../admin/')).toBe('/admin/');
  });

  it('decodes escaped unreserved characters (encoded dots become dot segments) and upper-cases other escapes', () => {
    expect(canonicalPath('/public/%2e%2e/admin')).toBe('/admin');
    expect(canonicalPath('/public/%2E%2E/admin')).toBe('/admin');
    expect(canonicalPath('/public/%2E%2e/admin')).toBe('/admin');
    expect(canonicalPath('/public/.%2e/admin')).toBe('/admin');
    expect(canonicalPath('/public/%2e./admin')).toBe('/admin');
    expect(canonicalPath('/public/%2e/admin')).toBe('/public/admin');
    expect(canonicalPath('/%7Euser/%41%62%63-%5F%2D')).toBe('/~user/Abc-_-');
    expect(canonicalPath('/caf%c3%a9/a%20b/%3f')).toBe('/caf%C3%A9/a%20b/%3F');
    expect(canonicalPath('/%252e%252e/x')).toBe('/%252e%252e/x');
  });

  it('merges repeated slashes before resolving dots, as nginx does', () => {
    expect(canonicalPath('//mcp')).toBe('/mcp');
    expect(canonicalPath('/a//b///c')).toBe('/a/b/c');
    expect(canonicalPath('/public//../admin')).toBe('/admin');
    expect(canonicalPath('/public/.//../admin')).toBe('/admin');
    expect(canonicalPath('/a//')).toBe('/a/');
  });

  it('refuses what a backend could split or resolve differently, saying what to fix', () => {
    expect(refusalOf('/public/..%2Fadmin')).toMatch(/encoded slash \(%2F\)/);
    expect(refusalOf('/public/..%2fadmin')).toMatch(/encoded slash/);
    expect(refusalOf('/public/..%5Cadmin')).toMatch(/backslash \(%5C\)/);
    expect(refusalOf('/public/..\\admin')).toMatch(/contains a backslash/);
    expect(refusalOf('/public/%00/x')).toMatch(/%00/);
    expect(refusalOf('/a%2')).toMatch(/malformed percent-escape/);
    expect(refusalOf('/a%zz')).toMatch(/malformed percent-escape/);
    expect(refusalOf('/a%')).toMatch(/malformed percent-escape/);
    expect(refusalOf('/a#b')).toMatch(/not allowed in a path/);
    expect(refusalOf('/a b')).toMatch(/not allowed in a path/);
    expect(refusalOf('/a\tb')).toMatch(/not allowed in a path/);
    expect(refusalOf('/a\u00e9')).toMatch(/not allowed in a path/);
    expect(refusalOf('/public/..;/admin')).toMatch(/dot segment with parameters/);
    expect(refusalOf('/public/.;x/admin')).toMatch(/dot segment with parameters/);
    expect(refusalOf('/public/%2e%2e%3b/admin')).toMatch(/dot segment with parameters/);
    expect(refusalOf('admin')).toMatch(/must be a path/);
    expect(refusalOf('')).toMatch(/must be a path/);
  });

  it('is idempotent: a canonical path is its own canonical form', () => {
    for (const path of ['/public/%2e%2e/admin', '/a//b/./c/%7e/../d/', '/caf%c3%a9', '/x/..', '/%41/%2e']) {
      const once = canonicalPath(path) as string;
      expect(isPlainPath(once) || canonicalPath(once) === once).toBe(true);
      expect(canonicalPath(once)).toBe(once);
    }
  });
});
