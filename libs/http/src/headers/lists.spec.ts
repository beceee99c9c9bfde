import { listElements } from './lists';

describe('list headers (RFC 9110 §5.6.1)', () => {
  it('splits on commas with optional whitespace and ignores empty elements', () => {
    expect(listElements('close')).toEqual(['close']);
    expect(listElements('keep-alive, Upgrade')).toEqual(['keep-alive', 'Upgrade']);
    expect(listElements(' a ,\tb\t,c ')).toEqual(['a', 'b', 'c']);
    expect(listElements(',,a,, ,b,')).toEqual(['a', 'b']);
    expect(listElements('')).toEqual([]);
    expect(listElements(' , ')).toEqual([]);
    expect(listElements(undefined)).toEqual([]);
  });

  it('reads a repeated header (an array, or what Node joined with ", ") as one list', () => {
    expect(listElements(['a, b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(listElements(['', 'a'])).toEqual(['a']);
    expect(listElements([])).toEqual([]);
  });

  it('keeps a comma inside a quoted string, escapes included', () => {
    expect(listElements('text/html;q="0,5", */*')).toEqual(['text/html;q="0,5"', '*/*']);
    expect(listElements('a="x\\",y", b')).toEqual(['a="x\\",y"', 'b']);
    expect(listElements('a="\\\\", b')).toEqual(['a="\\\\"', 'b']);
  });

  it('makes everything after an unbalanced quote one element', () => {
    // An unbalanced quote makes the rest one element (it cannot be split safely).
    expect(listElements('a, "b, c')).toEqual(['a', '"b, c']);
  });

  it('returns elements as sent: tokens are compared case-insensitively by the caller', () => {
    expect(listElements('Keep-Alive, X-Custom').map((t) => t.toLowerCase())).toEqual(['keep-alive', 'x-custom']);
  });
});
