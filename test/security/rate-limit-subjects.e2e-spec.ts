import { generateKeyPairSync, sign } from 'node:crypto';
import { GithubStandin } from '../support/github-standin';
import { echoBackend, publicRequest, type Backend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';
import { forgedTokens, protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const HOST = 'limited-subjects.test';

/**
 * Whose counter a request fills (the issue 19 attack, what held): a per-user limit counts the `sub`
 * of a verified token only, so nobody without the victim's token can use the victim's calls up
 * (forged, expired, wrongly signed or other-audience tokens are refused before any counter), and a
 * refused request counts nowhere. Real server, tokens minted with the test key (and forged).
 */
describe('rate limits: a caller cannot fill another user’s counter', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let kid: string;
  let resource: string;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await echoBackend();
    await protectTarget(server, HOST, backend.url, { mode: 'forward', required_users: ['*'] }, { endpoint: '/mcp' });
    const put = await server.api('PUT', `/api/v1/proxy/targets/${HOST}/rate-limits`, {
      body: [{ per: 'user', limit: 2, window: '1h' }],
    });
    expect(put.status).toBe(200);
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
    resource = `http://${HOST}:${server.httpPort}/mcp`;
  });
  afterAll(async () => {
    await Promise.all([backend?.close(), server?.stop(), github?.stop()]);
  });

  const get = async (token: string) =>
    (
      await publicRequest({
        port: server.httpPort,
        host: `${HOST}:${server.httpPort}`,
        path: '/mcp',
        headers: { authorization: `Bearer ${token}` },
      })
    ).status;

  it("refuses forged, expired, foreign and other-audience tokens naming the victim's sub before counting them", async () => {
    const victim = { aud: resource, sub: '1001' }; // the sub forgedTokens names too
    const { none, hs256 } = forgedTokens(server.issuer, resource, kid);
    const expired = signedToken(server.issuer, { ...victim, exp: Math.floor(Date.now() / 1000) - 60 }, kid);
    const otherAudience = signedToken(server.issuer, { ...victim, aud: 'http://elsewhere.test/mcp' }, kid);
    const valid = signedToken(server.issuer, victim, kid);
    const [head, body] = valid.split('.');
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const foreign = `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), otherKey).toString('base64url')}`;
    const statuses: number[] = [];
    for (const forged of [none, hs256, expired, otherAudience, foreign, foreign, foreign])
      statuses.push(await get(forged));
    expect(statuses.every((s) => s === 401)).toBe(true);
    // The victim's own calls: the whole limit is still theirs.
    expect([await get(valid), await get(valid), await get(valid)]).toEqual([200, 200, 429]);
  });

  it('counts the user over every client id, and another user on their own', async () => {
    const viaA = signedToken(server.issuer, { aud: resource, sub: '5151', client_id: 'client_a' }, kid);
    const viaB = signedToken(server.issuer, { aud: resource, sub: '5151', client_id: 'client_b' }, kid);
    const other = signedToken(server.issuer, { aud: resource, sub: '6161', client_id: 'client_a' }, kid);
    expect([await get(viaA), await get(viaB), await get(viaA)]).toEqual([200, 200, 429]);
    expect(await get(other)).toBe(200);
  });
});
