import type { Socket } from 'node:net';
import { GithubStandin } from '../support/github-standin';
import { Backend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { RawConnection } from '../support/raw-connection';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const HOST = 'org-socket.test';
/** How long the short token of the test lives (a membership TTL can be as short as 5 s). */
const TOKEN_SECONDS = 3;

/**
 * A WebSocket opened with an access token must not outlive it (found by the issue 19 attack). The
 * `exp` of a token that carries organisation or team memberships is capped at their reading + the
 * membership TTL, so that a user removed from the organisation loses access within the TTL; an
 * upgraded connection that stayed open after the token expired kept that access for as long as
 * the client held it open (hours), sending whatever it liked to the backend. Real server, a real
 * backend that echoes the bytes of an upgraded connection, tokens minted with the test key.
 */
describe('upgraded connections end when their token expires', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let kid: string;
  let resource: string;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await Backend.start((_req, res) => res.end('ok'));
    backend.server.on('upgrade', (_req: unknown, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (chunk: Buffer) => socket.write(chunk)); // an echo of the upgraded bytes
    });
    await protectTarget(server, HOST, backend.url, { mode: 'forward', required_orgs: ['acme'] }, { endpoint: '/mcp' });
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
    resource = `http://${HOST}:${server.httpPort}/mcp`;
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  /** An upgraded connection through the proxy with `token`, once the backend's 101 arrived. */
  const upgraded = async (token: string): Promise<RawConnection> => {
    const connection = await RawConnection.open(server.httpPort);
    connection.write(
      `GET /ws HTTP/1.1\r\nHost: ${HOST}:${server.httpPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    expect(await connection.until((c) => c.received.includes('\r\n\r\n'), 5000)).toBe(true);
    expect(connection.received).toMatch(/^HTTP\/1\.1 101 /);
    return connection;
  };

  it('closes the connection of a member once the token (capped by the membership TTL) expires', async () => {
    const exp = Math.floor(Date.now() / 1000) + TOKEN_SECONDS;
    const connection = await upgraded(signedToken(server.issuer, { aud: resource, orgs: ['acme'], exp }, kid));
    connection.write('while-valid');
    expect(await connection.until((c) => c.received.includes('while-valid'), 5000)).toBe(true);
    // Closed by the proxy at exp (give it the token's life plus a margin), not left open for the client.
    const closed = await connection.closedWithin((TOKEN_SECONDS + 5) * 1000);
    const after = connection.received.length;
    connection.write('after-expiry');
    await connection.until((c) => c.closed || c.received.slice(after).includes('after-expiry'), 5000);
    expect({ closed, echoedAfterExpiry: connection.received.slice(after).includes('after-expiry') }).toEqual({
      closed: true,
      echoedAfterExpiry: false,
    });
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(exp - 1);
    connection.close();
  });

  it('keeps the connection of a token that is still valid', async () => {
    const long = signedToken(server.issuer, { aud: resource, orgs: ['acme'] }, kid); // exp in 10 minutes
    const connection = await upgraded(long);
    connection.write('ping');
    expect(await connection.until((c) => c.received.includes('ping'), 5000)).toBe(true);
    expect(connection.closed).toBe(false);
    connection.close();
  });
});
