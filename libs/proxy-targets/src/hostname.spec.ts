import { normalizeHostname } from './hostname';

describe('normalizeHostname', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['api.example.com.', 'api.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['a-b.c', 'a-b.c'],
  ])('accepts %s as %s', (input, expected) => expect(normalizeHostname(input)).toBe(expected));

  it.each(['', 'example.com:8080', 'http://example.com', 'example.com/path', 'a..b', '-a.com', 'user@host', 'a b.com'])(
    'refuses %p',
    (input) => expect(normalizeHostname(input)).toBeNull(),
  );
});
