import { formatValue, renderBody, renderListAnswer, renderObject, renderTable } from './render';

describe('table rendering', () => {
  it('aligns columns to the widest cell and shows - for empty values', () => {
    const text = renderTable(
      [
        { name: 'alice', cert_email: 'alice@example.test', owned: {} },
        { name: 'bo', cert_email: null, owned: { proxy: 2 } },
      ],
      [
        { header: 'NAME', key: 'name' },
        { header: 'CERT EMAIL', key: 'cert_email' },
        { header: 'OWNS', key: 'owned' },
      ],
    );
    expect(text).toBe(
      [
        'NAME   CERT EMAIL          OWNS',
        'alice  alice@example.test  -',
        'bo     -                   {"proxy":2}',
        '',
      ].join('\n'),
    );
  });

  it('infers columns from scalar fields when none are declared, and says (none) for no rows', () => {
    expect(
      renderTable([
        { hostname: 'a.test', enabled: true, headers: { x: '1' } },
        { hostname: 'bb.test', enabled: false, port: 80 },
      ]),
    ).toBe(['HOSTNAME  ENABLED  PORT', 'a.test    true     -', 'bb.test   false    80', ''].join('\n'));
    expect(renderTable([])).toBe('(none)\n');
  });

  it('reaches into nested fields with dotted keys and custom formats', () => {
    expect(
      renderTable(
        [{ redis: { status: 'up' } }],
        [{ header: 'REDIS', key: 'redis.status', format: (v) => String(v).toUpperCase() }],
      ),
    ).toBe('REDIS\nUP\n');
  });

  it('renders an object as aligned key/value lines, flattening nested objects', () => {
    expect(renderObject({ status: 'ok', redis: { status: 'up', latency_ms: 1 }, tags: ['a', 'b'], owned: {} })).toBe(
      [
        'status            ok',
        'redis.status      up',
        'redis.latency_ms  1',
        'tags              a,b',
        'owned             -',
        '',
      ].join('\n'),
    );
  });

  it('keeps cells on one line and renders bodies of any shape', () => {
    expect(formatValue('two\nlines')).toBe('two lines');
    expect(renderBody(['a', 'b'])).toBe('a\nb\n');
    expect(renderBody(undefined)).toBe('');
    expect(renderBody('plain')).toBe('plain\n');
  });
});

describe('list answers', () => {
  it('prints the scalar fields, then the rows of the list field as a table', () => {
    expect(
      renderListAnswer(
        {
          total: 2,
          truncated: false,
          entries: [
            { path: '/a', status: 200 },
            { path: '/bb', status: 404 },
          ],
        },
        'entries',
      ),
    ).toBe(['total      2', 'truncated  false', '', 'PATH  STATUS', '/a    200', '/bb   404', ''].join('\n'));
    expect(renderListAnswer({ entries: [] }, 'entries')).toBe('(none)\n');
  });
});
