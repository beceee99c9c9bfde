import { GithubStandin } from '../support/github-standin';
import { publicRequest } from '../support/loopback';
import { framingHeadersOf, rawExchange, RecordingBackend } from '../support/raw-http';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, startProtectedServer } from '../protection/protection-fixture';

const OPEN = 'open.framing.test';
const PROTECTED = 'prot.framing.test';

/** A whole request hidden in a body: it must never reach the backend as a request of its own. */
const SMUGGLED = `GET /smuggled HTTP/1.1\r\nHost: ${PROTECTED}\r\nX-Auth-User-Name: alice\r\nX_Auth_User_Name: alice\r\n\r\n`;
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

interface Case {
  name: string;
  /** The request bytes; `%P` is the case path. */
  raw: string;
  /** `forward`: exactly one request reaches the backend, with this body; `refuse`: a 400 and the connection closed. */
  expect: 'forward' | 'refuse';
  body?: string;
}

const h = `Host: ${OPEN}\r\n`;
/**
 * Malformed and ambiguous request heads. Node's llhttp refuses most of them; the proxy refuses the
 * rest (Transfer-Encoding other than exactly `chunked`, Transfer-Encoding in HTTP/1.0, a second
 * Host) and makes the framing itself for what it forwards.
 */
const CASES: Case[] = [
  {
    name: 'plain-content-length',
    raw: `POST %P HTTP/1.1\r\n${h}Content-Length: 5\r\n\r\nhello`,
    expect: 'forward',
    body: 'hello',
  },
  {
    name: 'get-with-body',
    raw: `GET %P HTTP/1.1\r\n${h}Content-Length: 5\r\n\r\nhello`,
    expect: 'forward',
    body: 'hello',
  },
  {
    name: 'plain-chunked',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n${chunk('hello')}0\r\n\r\n`,
    expect: 'forward',
    body: 'hello',
  },
  {
    name: 'chunked-upper-case',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: CHUNKED\r\n\r\n${chunk('hello')}0\r\n\r\n`,
    expect: 'forward',
    body: 'hello',
  },
  {
    name: 'chunk-extensions',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n5;ext="x"\r\nhello\r\n0\r\n\r\n`,
    expect: 'forward',
    body: 'hello',
  },
  // Names listed in Connection never remove the framing or the Host.
  {
    name: 'connection-content-length',
    raw: `POST %P HTTP/1.1\r\n${h}Connection: content-length\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    expect: 'forward',
    body: SMUGGLED,
  },
  {
    name: 'connection-content-length-get',
    raw: `GET %P HTTP/1.1\r\n${h}Connection: keep-alive, Content-Length\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    expect: 'forward',
    body: SMUGGLED,
  },
  {
    name: 'connection-transfer-encoding',
    raw: `POST %P HTTP/1.1\r\n${h}Connection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`,
    expect: 'forward',
    body: SMUGGLED,
  },
  {
    name: 'connection-transfer-encoding-get',
    raw: `GET %P HTTP/1.1\r\n${h}Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`,
    expect: 'forward',
    body: SMUGGLED,
  },
  { name: 'connection-host', raw: `GET %P HTTP/1.1\r\n${h}Connection: host\r\n\r\n`, expect: 'forward', body: '' },
  // Conflicting or duplicate framing.
  {
    name: 'cl-te',
    raw: `POST %P HTTP/1.1\r\n${h}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    expect: 'refuse',
  },
  {
    name: 'te-cl',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'duplicate-cl-same',
    raw: `POST %P HTTP/1.1\r\n${h}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`,
    expect: 'refuse',
  },
  {
    name: 'duplicate-cl-differing',
    raw: `POST %P HTTP/1.1\r\n${h}Content-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    expect: 'refuse',
  },
  { name: 'cl-comma-list', raw: `POST %P HTTP/1.1\r\n${h}Content-Length: 5, 5\r\n\r\nhello`, expect: 'refuse' },
  { name: 'cl-plus-sign', raw: `POST %P HTTP/1.1\r\n${h}Content-Length: +5\r\n\r\nhello`, expect: 'refuse' },
  {
    name: 'te-chunked-identity',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    expect: 'refuse',
  },
  {
    name: 'te-xchunked',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    expect: 'refuse',
  },
  {
    name: 'te-identity',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: identity\r\n\r\n${SMUGGLED}`,
    expect: 'refuse',
  },
  {
    name: 'te-gzip-chunked',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: gzip, chunked\r\n\r\n${chunk('hello')}0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'te-two-headers',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n${chunk('hello')}0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'te-chunked-twice',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'te-leading-comma',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: ,chunked\r\n\r\n${chunk('hello')}0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'te-in-http-1.0',
    raw: `POST %P HTTP/1.0\r\n${h}Transfer-Encoding: chunked\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`,
    expect: 'refuse',
  },
  // Header syntax.
  { name: 'obs-fold', raw: `POST %P HTTP/1.1\r\n${h}X-A: b\r\n c\r\nContent-Length: 5\r\n\r\nhello`, expect: 'refuse' },
  {
    name: 'obs-fold-te',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`,
    expect: 'refuse',
  },
  { name: 'bare-lf', raw: `POST %P HTTP/1.1\n${h.trim()}\nContent-Length: 5\n\nhello`, expect: 'refuse' },
  { name: 'bare-lf-in-head', raw: `POST %P HTTP/1.1\r\n${h.trim()}\nContent-Length: 5\r\n\r\nhello`, expect: 'refuse' },
  {
    name: 'space-before-colon-cl',
    raw: `POST %P HTTP/1.1\r\n${h}Content-Length : ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    expect: 'refuse',
  },
  {
    name: 'space-before-colon-te',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
    expect: 'refuse',
  },
  { name: 'nul-in-value', raw: `GET %P HTTP/1.1\r\n${h}X-A: b\0c\r\n\r\n`, expect: 'refuse' },
  { name: 'cr-in-value', raw: `GET %P HTTP/1.1\r\n${h}X-A: b\rc\r\n\r\n`, expect: 'refuse' },
  { name: 'two-hosts', raw: `GET %P HTTP/1.1\r\n${h}Host: ${PROTECTED}\r\n\r\n`, expect: 'refuse' },
  // Chunk sizes and chunk syntax (found while the body streams: the request is cut, never completed twice).
  {
    name: 'chunk-size-huge',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'chunk-size-overflow',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'chunk-size-negative',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'chunk-size-0x',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'chunk-missing-crlf',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n${SMUGGLED}`,
    expect: 'refuse',
  },
  {
    name: 'chunk-bare-lf',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n`,
    expect: 'refuse',
  },
  {
    name: 'chunk-extension-bare-lf',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n3;x\nabc\r\n0\r\n\r\n`,
    expect: 'refuse',
  },
  {
    name: 'trailer-obs-fold',
    raw: `POST %P HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n`,
    expect: 'refuse',
  },
];

const ENGINES = ['http1', 'undici', 'node'] as const;

/**
 * Framing is the proxy's decision (issue 16, class 1): a corpus of malformed and ambiguous request
 * heads, sent on raw TCP through each forwarding engine to a backend that records the requests it
 * reads from the raw bytes. Every case ends as exactly one request at the backend or a 400 with the
 * connection closed; a follow-up from another client on the pooled upstream connection gets its own
 * answer; a request smuggled towards a protected target never reaches the backend.
 */
describe.each(ENGINES)('request framing (FORWARDING_ENGINE=%s)', (engine) => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: RecordingBackend;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, { FORWARDING_ENGINE: engine });
    backend = await RecordingBackend.start();
    const created = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: OPEN, target_url: backend.url, enable_https: false },
    });
    expect(created.status).toBe(201);
    await protectTarget(
      server,
      PROTECTED,
      backend.url,
      { mode: 'forward', required_users: ['alice'] },
      { endpoint: '/mcp' },
    );
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  const lines = (from: number) => backend.requests.slice(from).map((r) => r.line);

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const path = `/case-${name}`;
    const marker = `GET /marker-${name} HTTP/1.1\r\nHost: ${OPEN}\r\nConnection: close\r\n\r\n`;
    const before = backend.requests.length;
    const result = await rawExchange(server.httpPort, c.raw.replace('%P', path), { afterFirstResponse: marker });

    if (c.expect === 'refuse') {
      // One 400 that says why, then the proxy closes: the marker written after it is never answered.
      expect(result.responses.map((r) => r.status)).toEqual([400]);
      expect(result.responses[0].head).toMatch(/\r\nconnection: close/i);
      expect(result.closed).toBe(true);
      expect(lines(before)).toEqual([]);
      expect(result.responses[0].body).toMatch(/^400 Bad Request: \S/);
    } else {
      // Exactly one request (then the marker) reached the backend, with the body the proxy parsed.
      expect(result.responses.map((r) => [r.status, r.body])).toEqual([
        [200, `${c.raw.slice(0, c.raw.indexOf(' '))} ${path} HTTP/1.1`],
        [200, `GET /marker-${name} HTTP/1.1`],
      ]);
      const seen = backend.requests.slice(before);
      expect(seen.map((r) => r.line)).toEqual([
        `${c.raw.slice(0, c.raw.indexOf(' '))} ${path} HTTP/1.1`,
        `GET /marker-${name} HTTP/1.1`,
      ]);
      expect(seen[0].body).toBe(c.body);
      // The proxy's own framing: one Content-Length or chunked, never both, never none for a body.
      const framing = framingHeadersOf(seen[0].head);
      if (c.body) expect(framing).toHaveLength(1);
      else expect(framing.length).toBeLessThanOrEqual(1);
      expect(seen[0].head).toMatch(new RegExp(`(^|\\r\\n)host: ${OPEN.replace(/\./g, '\\.')}(\\r\\n|$)`, 'i'));
    }

    // Another client's request on the (pooled) upstream connection gets its own answer.
    const follow = await publicRequest({ port: server.httpPort, host: OPEN, path: `/follow-${name}` });
    expect([follow.status, follow.text]).toEqual([200, `GET /follow-${name} HTTP/1.1`]);
    expect(
      backend.requests
        .slice(before)
        .filter((r) => r.line.includes('/smuggled') || r.head.toLowerCase().includes(PROTECTED)),
    ).toEqual([]);
  });

  it('never lets a request smuggled towards a protected target reach the backend without a token', async () => {
    const before = backend.requests.length;
    // The protected target refuses the anonymous request itself ...
    const direct = await publicRequest({
      port: server.httpPort,
      host: PROTECTED,
      path: '/mcp',
      headers: { 'x-auth-user-name': 'alice' },
    });
    expect(direct.status).toBe(401);
    // ... and the same request hidden in bodies to the open target on the same backend never arrives as a request.
    for (const c of CASES.filter((x) => x.raw.includes(SMUGGLED) || x.raw.includes(chunk(SMUGGLED)))) {
      await rawExchange(server.httpPort, c.raw.replace('%P', `/smuggle-${c.name}`), {
        afterFirstResponse: `GET /marker HTTP/1.1\r\nHost: ${OPEN}\r\nConnection: close\r\n\r\n`,
      });
      const follow = await publicRequest({ port: server.httpPort, host: OPEN, path: `/after-${c.name}` });
      expect(follow.text).toBe(`GET /after-${c.name} HTTP/1.1`);
    }
    const seen = backend.requests.slice(before);
    expect(seen.filter((r) => r.line.includes('/smuggled') || r.line.startsWith('GET /mcp'))).toEqual([]);
    expect(seen.filter((r) => /(^|\r\n)host: prot\./i.test(r.head))).toEqual([]);
  });
});
