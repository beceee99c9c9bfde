import type { IncomingHttpHeaders } from 'node:http';
import { GithubStandin } from '../support/github-standin';
import { Backend, publicRequest } from '../support/loopback';
import { rawExchange, type RawExchangeResult } from '../support/raw-http';
import type { ServerProcess } from '../support/server-process';
import { obtainToken, protectTarget, startProtectedServer } from '../protection/protection-fixture';

const OPEN = 'open.spellings.test';
const PROTECTED = 'prot.spellings.test';
const CUSTOM = 'custom.spellings.test';
const PEER = '198.51.100.7';

/** Identity and forwarding headers as attackers spell them: any case, `_` for `-` (CGI, WSGI, PHP read both as one). */
const SPELLINGS = [
  'X_Forwarded_For',
  'x_forwarded_for',
  'X-Forwarded_For',
  'X_FORWARDED_HOST',
  'X_Forwarded_Proto',
  'X-FORWARDED-PREFIX',
  'X-Real_IP',
  'X_Real_Ip',
  'x_real_ip',
  'FORWARDED',
  'X_Auth_User_Name',
  'X-Auth_User_Id',
  'x_auth_scopes',
  'X_AUTH_CLIENT_ID',
  'X-AUTH-USER-NAME',
];
const spelled = (extra: string[] = []) => [...SPELLINGS, ...extra].map((name, i) => `${name}: evil-${i}\r\n`).join('');

const IDENTITY = /^(x-forwarded-|x-auth-|x-user-)|^(x-real-ip|forwarded)$/;

/** No header the backend received carries an attacker's value, and identity headers come only in the proxy's spelling. */
function expectNoClientIdentity(headers: IncomingHttpHeaders): void {
  const offending = Object.entries(headers).filter(
    ([name, value]) => String(value).includes('evil') || (IDENTITY.test(name.replace(/_/g, '-')) && name.includes('_')),
  );
  expect(offending).toEqual([]);
}

/** The echo backend's JSON (a plain answer's body, or the bytes after a 101). */
function echoed(result: RawExchangeResult): IncomingHttpHeaders {
  const [first] = result.responses;
  expect(first?.status).toBeDefined();
  const text = first.status === 101 ? result.rest : first.body;
  return (JSON.parse(text) as { headers: IncomingHttpHeaders }).headers;
}

/**
 * Every spelling removed (issue 16, class 5): identity and forwarding headers in any case and with
 * `_` for `-` never reach the backend, on the HTTP, HTTPS and PROXY-protocol listeners, on WebSocket
 * upgrades, and on protected targets (the default X-Auth- prefix and a custom one).
 */
describe('identity and forwarding header spellings', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await Backend.start((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ headers: req.headers }));
      });
    });
    backend.server.on('upgrade', (req: { headers: IncomingHttpHeaders }, socket: import('node:net').Socket) => {
      socket.end(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n${JSON.stringify({ headers: req.headers })}`,
      );
    });
    const created = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: OPEN, target_url: backend.url },
    });
    expect(created.status).toBe(201);
    await protectTarget(
      server,
      PROTECTED,
      backend.url,
      { mode: 'forward', required_users: ['alice'] },
      { endpoint: '/mcp' },
    );
    await protectTarget(
      server,
      CUSTOM,
      backend.url,
      { mode: 'forward', required_users: ['alice'], header_prefix: 'X-User-' },
      { endpoint: '/mcp' },
    );
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  const request = (host: string, extra = '') =>
    `GET /who HTTP/1.1\r\nHost: ${host}\r\n${spelled()}${extra}Connection: close\r\n\r\n`;
  const upgrade = (host: string) =>
    `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${spelled()}\r\n`;
  const proxyHeader = `PROXY TCP4 ${PEER} 127.0.0.1 40000 80\r\n`;

  it('removes every spelling on the HTTP listener', async () => {
    const headers = echoed(await rawExchange(server.httpPort, request(OPEN)));
    expectNoClientIdentity(headers);
    expect([headers['x-forwarded-for'], headers['x-real-ip'], headers['x-forwarded-proto']]).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      'http',
    ]);
  });

  it('removes every spelling on the HTTPS listener', async () => {
    const headers = echoed(await rawExchange(server.httpsPort, request(OPEN), { tls: { servername: OPEN } }));
    expectNoClientIdentity(headers);
    expect([headers['x-forwarded-for'], headers['x-forwarded-proto']]).toEqual(['127.0.0.1', 'https']);
  });

  it('removes every spelling on the PROXY-protocol listener', async () => {
    const headers = echoed(await rawExchange(server.proxyProtocolPort, proxyHeader + request(OPEN)));
    expectNoClientIdentity(headers);
    expect([headers['x-forwarded-for'], headers['x-real-ip']]).toEqual([PEER, PEER]);
  });

  it('removes every spelling on WebSocket upgrades (HTTP, HTTPS and PROXY-protocol listeners)', async () => {
    const plain = await rawExchange(server.httpPort, upgrade(OPEN));
    expect(plain.responses[0]?.status).toBe(101);
    expectNoClientIdentity(echoed(plain));
    const secure = await rawExchange(server.httpsPort, upgrade(OPEN), { tls: { servername: OPEN } });
    expectNoClientIdentity(echoed(secure));
    const proxied = echoed(await rawExchange(server.proxyProtocolPort, proxyHeader + upgrade(OPEN)));
    expectNoClientIdentity(proxied);
    expect(proxied['x-forwarded-for']).toBe(PEER);
  });

  it('removes every spelling of the identity headers on protected targets (default and custom prefix)', async () => {
    const tokenFor = async (host: string) =>
      (await obtainToken(server.issuer, github, 'alice', `http://${host}:${server.httpPort}/mcp`)).access_token;
    const prot = await tokenFor(PROTECTED);
    const res = await publicRequest({
      port: server.httpPort,
      host: `${PROTECTED}:${server.httpPort}`,
      path: '/mcp',
      headers: { authorization: `Bearer ${prot}` },
    });
    expect(res.status).toBe(200);
    const raw = (host: string, token: string) =>
      request(
        `${host}:${server.httpPort}`,
        `Authorization: Bearer ${token}\r\nX_User_Name: evil-u1\r\nx-user_login: evil-u2\r\nX-USER-ID: evil-u3\r\n`,
      ).replace('/who', '/mcp');
    const defaultPrefix = echoed(await rawExchange(server.httpPort, raw(PROTECTED, prot)));
    expectNoClientIdentity(
      Object.fromEntries(
        Object.entries(defaultPrefix).filter(([name]) => !name.replace(/_/g, '-').startsWith('x-user-')),
      ),
    );
    expect(defaultPrefix['x-auth-user-name']).toBe('alice');

    const custom = echoed(await rawExchange(server.httpPort, raw(CUSTOM, await tokenFor(CUSTOM))));
    expectNoClientIdentity(custom);
    expect(custom['x-user-user-name']).toBe('alice'); // the prefix + User-Name
  });
});
