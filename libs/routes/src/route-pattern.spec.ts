import { compilePattern, patternProblem } from './route-pattern';

describe('route patterns', () => {
  it('matches prefixes literally', () => {
    const m = compilePattern('/api/', false);
    expect([m('/api/x'), m('/api/'), m('/api'), m('/apix/'), m('/other/api/')]).toEqual([true, true, false, false, false]);
  });

  it('tests regexes against the path', () => {
    const m = compilePattern('^/items/\\d+$', true);
    expect([m('/items/42'), m('/items/42/x'), m('/items/abc')]).toEqual([true, false, false]);
  });

  it('refuses regexes that backtrack catastrophically', () => {
    expect(patternProblem('^(a+)+$', true)).toMatch(/catastrophically/);
    expect(patternProblem('^/(\\w+\\s?)*$', true)).toMatch(/catastrophically/);
    expect(patternProblem('^/items/\\d+$', true)).toBeNull();
  });

  it('refuses invalid or unanchored input with a reason', () => {
    expect(patternProblem('([', true)).toMatch(/not a valid regular expression/);
    expect(patternProblem('api', false)).toMatch(/must start with "\/"/);
    expect(patternProblem('', false)).toMatch(/1-512/);
  });
});
