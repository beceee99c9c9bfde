import { hasCookie, readCookie, withoutCookie } from './cookies';

describe('cookies', () => {
  // Moved from libs/protection/src/protection.spec.ts.
  it('reads and removes one cookie', () => {
    expect(readCookie('a=1; proxy_session=xyz; b=2', 'proxy_session')).toBe('xyz');
    expect(withoutCookie('a=1; proxy_session=xyz; b=2', 'proxy_session')).toBe('a=1; b=2');
    expect(withoutCookie('proxy_session=xyz', 'proxy_session')).toBe('');
  });

  it('never throws on a stray %: values are read as sent, not percent-decoded', () => {
    expect(readCookie('x=%', 'x')).toBe('%');
    expect(readCookie('x=%E0%A4%A; s=abc', 's')).toBe('abc');
    expect(readCookie('s=%E0%A4%A', 's')).toBe('%E0%A4%A');
    expect(readCookie('s=a%20b', 's')).toBe('a%20b');
    expect(withoutCookie('x=%; s=1', 's')).toBe('x=%');
  });

  it('trims spaces and tabs around names and values', () => {
    expect(readCookie('a=1;s=abc', 's')).toBe('abc');
    expect(readCookie('a=1;   s  =  abc  ; b=2', 's')).toBe('abc');
    expect(readCookie('a=1;\ts=abc\t', 's')).toBe('abc');
  });

  it('skips pairs with an empty name or no "=", and answers undefined for an empty value', () => {
    expect(readCookie('=abc; s=1', 's')).toBe('1');
    expect(readCookie('=abc', '')).toBeUndefined();
    expect(readCookie('s; s=1', 's')).toBe('1');
    expect(readCookie('s=', 's')).toBeUndefined();
    expect(readCookie('s=""', 's')).toBeUndefined();
    expect(readCookie(undefined, 's')).toBeUndefined();
    expect(readCookie('', 's')).toBeUndefined();
  });

  it('keeps "=" inside a value (only the first one separates)', () => {
    expect(readCookie('s=a=b==', 's')).toBe('a=b==');
  });

  it('reads a quoted value without its quotes (RFC 6265 cookie-value)', () => {
    expect(readCookie('s="abc"', 's')).toBe('abc');
    expect(readCookie('s="abc', 's')).toBe('"abc');
    expect(readCookie('s="', 's')).toBe('"');
  });

  it('matches the name exactly (case-sensitive, no prefix match)', () => {
    expect(readCookie('S=1; session=2; s=3', 's')).toBe('3');
    expect(readCookie('proxy_session_flow=f', 'proxy_session')).toBeUndefined();
  });

  it('takes the first of duplicate names (browsers send the most specific path first)', () => {
    expect(readCookie('s=first; s=second', 's')).toBe('first');
    // The first one wins even when it is empty: a later one does not stand in for it.
    expect(readCookie('s=; s=second', 's')).toBeUndefined();
    expect(withoutCookie('s=first; a=1; s=second', 's')).toBe('a=1');
  });

  it('knows whether a cookie of this name is present at all, empty or not', () => {
    expect(hasCookie('a=1; s=; s=second', 's')).toBe(true);
    expect(hasCookie('s=""', 's')).toBe(true);
    expect(hasCookie('a=1; session=2', 's')).toBe(false);
    expect(hasCookie('s', 's')).toBe(false);
    expect(hasCookie(undefined, 's')).toBe(false);
  });
});
