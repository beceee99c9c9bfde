import { ResponseParser, ResponseParseError, type ResponseHead } from './response-parser';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  completions: boolean[];
}

function parser(noBody = false): { p: ResponseParser; out: Parsed } {
  const out: Parsed = { heads: [], body: '', completions: [] };
  const p = new ResponseParser({
    onHead: (head) => out.heads.push(head),
    onBody: (chunk) => (out.body += chunk.toString('latin1')),
    onComplete: (reusable) => out.completions.push(reusable),
  });
  p.reset(noBody);
  return { p, out };
}

/** Feeds the text whole, and again one byte at a time: both must give the same result. */
function parseBoth(text: string, noBody = false): Parsed {
  const whole = parser(noBody);
  whole.p.feed(Buffer.from(text, 'latin1'));
  const bytes = parser(noBody);
  for (const byte of Buffer.from(text, 'latin1')) bytes.p.feed(Buffer.from([byte]));
  expect(bytes.out).toEqual(whole.out);
  return whole.out;
}

describe('ResponseParser', () => {
  it('reads a Content-Length response and keeps the connection', () => {
    const out = parseBoth(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n\r\nhello',
    );
    expect(out.heads).toEqual([
      {
        status: 200,
        reason: 'OK',
        headers: ['content-type', 'text/plain', 'content-length', '5', 'keep-alive', 'timeout=5'],
        keepAliveMs: 5000,
      },
    ]);
    expect(out.body).toBe('hello');
    expect(out.completions).toEqual([true]);
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const out = parseBoth(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n',
    );
    expect(out.body).toBe('hello 0123456789');
    expect(out.completions).toEqual([true]);
  });

  it('skips informational answers and reads the final one', () => {
    const out = parseBoth(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
    );
    expect(out.heads.map((h) => h.status)).toEqual([201]);
    expect(out.body).toBe('ok');
  });

  it('reads no body for HEAD, 204 and 304, whatever the headers announce', () => {
    expect(parseBoth('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', true)).toMatchObject({
      body: '',
      completions: [true],
    });
    expect(parseBoth('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ body: '', completions: [true] });
    expect(parseBoth('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')).toMatchObject({
      body: '',
      completions: [true],
    });
  });

  it('reads a body without framing until the backend closes, and never reuses that connection', () => {
    const { p, out } = parser();
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome '));
    p.feed(Buffer.from('bytes'));
    expect(out.completions).toEqual([]);
    expect(p.end()).toBe('complete');
    expect(out).toMatchObject({ body: 'some bytes', completions: [false] });
  });

  it('does not reuse a connection the backend closes, or an HTTP/1.0 one without keep-alive', () => {
    expect(parseBoth('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').completions).toEqual([false]);
    expect(parseBoth('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').completions).toEqual([false]);
    expect(parseBoth('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').completions).toEqual([
      true,
    ]);
  });

  it('reads Transfer-Encoding + Content-Length as chunked and drops the connection afterwards', () => {
    const out = parseBoth(
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
    );
    expect(out).toMatchObject({ body: 'hi', completions: [false] });
    expect(out.heads[0].headers).toEqual(['transfer-encoding', 'chunked']); // the void length is not passed on
  });

  it('reads a repeated identical Content-Length but drops the connection afterwards (framing doubt)', () => {
    expect(parseBoth('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok')).toMatchObject({
      body: 'ok',
      completions: [false],
    });
    expect(parseBoth('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok')).toMatchObject({
      body: 'ok',
      completions: [false],
    });
  });

  it('does not reuse a connection that sent bytes after the answer in the same read', () => {
    // (Bytes in a later read reach a connection with no request: the pool closes it.)
    const { p, out } = parser();
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n'));
    expect(out).toMatchObject({ body: 'ok', completions: [false] });
  });

  it('tells a truncated answer from one that never started', () => {
    const empty = parser();
    expect(empty.p.end()).toBe('nothing-received');
    const half = parser();
    half.p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(half.p.end()).toBe('truncated');
    expect(half.out.completions).toEqual([]);
  });

  it.each([
    ['a bad status line', 'HTTP/2 200 OK\r\n\r\n'],
    ['a header without a colon', 'HTTP/1.1 200 OK\r\nBroken\r\n\r\n'],
    ['whitespace before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n'],
    ['a bare LF inside a value', 'HTTP/1.1 200 OK\r\nX-A: a\nInjected: b\r\nContent-Length: 0\r\n\r\n'],
    ['conflicting Content-Length values', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx'],
    ['a non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nx'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX0\r\n\r\n'],
    ['101 without an upgrade', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ])('refuses %s', (_what, text) => {
    const { p } = parser();
    expect(() => p.feed(Buffer.from(text, 'latin1'))).toThrow(ResponseParseError);
  });

  it('accepts equal repeated Content-Length values', () => {
    expect(parseBoth('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok').body).toBe('ok');
  });

  it('refuses a head larger than 64 KiB, even when it arrives in pieces', () => {
    const { p } = parser();
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\n'));
    const line = Buffer.from(`X-Big: ${'a'.repeat(1000)}\r\n`);
    expect(() => {
      for (let i = 0; i < 70; i++) p.feed(line);
    }).toThrow('the response head is too large');
  });

  it('parses the next answer after reset', () => {
    const { p, out } = parser();
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na'));
    p.reset(false);
    p.feed(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb'));
    expect(out.heads.map((h) => h.status)).toEqual([200, 404]);
    expect(out).toMatchObject({ body: 'ab', completions: [true, true] });
  });
});
