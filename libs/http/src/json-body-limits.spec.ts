import { JsonShapeScanner, MAX_JSON_DEPTH, MAX_JSON_KEYS } from './json-body-limits';

/** Feeds `text` in chunks of `size` bytes (limits must hold across chunk boundaries). */
function scan(text: string, size = 3): string | null {
  const scanner = new JsonShapeScanner();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) {
    const problem = scanner.feed(bytes.subarray(i, i + size));
    if (problem) return problem;
  }
  return null;
}

describe('JsonShapeScanner', () => {
  it('accepts ordinary bodies, brackets and colons inside strings included', () => {
    expect(scan(JSON.stringify({ a: [1, { b: 'x' }], c: '[[{{: "\\" ::', d: 'ünïcødé', e: '__proto__' }))).toBeNull();
    expect(scan(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeNull();
    expect(scan(`{${Array.from({ length: MAX_JSON_KEYS }, (_, i) => `"k${i}":1`).join(',')}}`, 4096)).toBeNull();
  });

  it('refuses nesting one level too deep, of arrays or objects', () => {
    const message = `request body nests JSON deeper than ${MAX_JSON_DEPTH} levels; flatten it`;
    expect(scan('['.repeat(MAX_JSON_DEPTH + 1))).toBe(message);
    expect(scan('{"a":'.repeat(MAX_JSON_DEPTH + 1))).toBe(message);
    // Siblings do not add up: depth, not count.
    expect(scan(`[${Array.from({ length: 100 }, () => '[[]]').join(',')}]`)).toBeNull();
  });

  it('refuses one key too many, counted across all objects', () => {
    const body = `[${Array.from({ length: MAX_JSON_KEYS + 1 }, (_, i) => `{"k${i}":1}`).join(',')}]`;
    expect(scan(body, 8192)).toBe(`request body has more than ${MAX_JSON_KEYS} JSON object keys; send fewer`);
  });

  it('refuses prototype keys in any escaped spelling, but not as values', () => {
    expect(scan('{"__proto__":{}}')).toBe('request body uses the JSON key "__proto__", which is not allowed');
    expect(scan('{"a":{"constructor" : {}}}')).toBe(
      'request body uses the JSON key "constructor", which is not allowed',
    );
    expect(scan('{"prototype":1}')).toBe('request body uses the JSON key "prototype", which is not allowed');
    expect(scan('{"\\u005F_pro\\u0074o__":1}', 1)).toBe(
      'request body uses the JSON key "__proto__", which is not allowed',
    );
    expect(scan('{"\\u005f\\u005fproto\\u005f\\u005f":1}')).toBe(
      'request body uses the JSON key "__proto__", which is not allowed',
    );
    expect(scan('{"x":"constructor","__proto__x":1,"constructors":2}')).toBeNull();
  });
});
