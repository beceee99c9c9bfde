import { compilePattern, patternProblem } from './route-pattern';

describe('route patterns', () => {
  it('matches prefixes literally', () => {
    const m = compilePattern('/api/', false);
    expect([m('/api/x'), m('/api/'), m('/api'), m('/apix/'), m('/other/api/')]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('tests regexes against the path', () => {
    const m = compilePattern('^/items/\\d+$', true);
    expect([m('/items/42'), m('/items/42/x'), m('/items/abc')]).toEqual([true, false, false]);
    const unanchored = compilePattern('/v\\d+/', true);
    expect([unanchored('/api/v2/x'), unanchored('/api/vx/')]).toEqual([true, false]);
    const named = compilePattern('^/users/(?<id>\\d+)$', true);
    expect([named('/users/7'), named('/users/x')]).toEqual([true, false]);
  });

  it('accepts patterns that backtrack catastrophically on JavaScript RegExp: RE2 runs them in linear time', () => {
    for (const pattern of ['^/(a+)+$', '^/(a|a)*$', '(x+x+)+y', '^/(\\w+\\s?)*$'])
      expect(patternProblem(pattern, true)).toBeNull();
    const m = compilePattern('^/(a|a)*$', true);
    expect([m(`/${'a'.repeat(2000)}!`), m(`/${'a'.repeat(2000)}`)]).toEqual([false, true]);
  });

  it('refuses syntax RE2 cannot run, naming the problem', () => {
    expect(patternProblem('^/(a+)\\1$', true)).toBe(
      'path_pattern uses syntax the linear-time regex engine (RE2) does not support (backreferences, lookahead and lookbehind are not available): invalid escape sequence: `\\1`',
    );
    expect(patternProblem('^/(?=admin)', true)).toMatch(
      /^path_pattern uses syntax the linear-time regex engine \(RE2\) does not support .*`\(\?=`$/,
    );
    expect(patternProblem('^/(?!x)', true)).toMatch(/RE2/);
    expect(patternProblem('^/x(?<=x)', true)).toMatch(/RE2/);
  });

  it('refuses invalid or unanchored input with a reason', () => {
    expect(patternProblem('([', true)).toMatch(/not a valid regular expression/);
    expect(patternProblem('api', false)).toMatch(/must start with "\/"/);
    expect(patternProblem('', false)).toMatch(/1-512/);
  });

  it('fails closed for a stored regex RE2 cannot compile: it never matches', () => {
    const m = compilePattern('^/(a)\\1', true);
    expect([m('/aa'), m('/a')]).toEqual([false, false]);
  });
});
