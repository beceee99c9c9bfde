import { GithubStandin } from '../support/github-standin';
import { Backend, publicRequest } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';
import { obtainToken, protectTarget, startProtectedServer } from './protection-fixture';

const HOST = 'members.mcp.test';
/** Short, so leaving the organisation shows within the test (the default is 600 s). */
const TTL = 5;

/**
 * End to end through the proxy (authorization server + data path): a target admitting the members of
 * an organisation (`required_orgs`) serves a member whose real token (GitHub stand-in sign-in) carries
 * the `orgs` claim; once the member leaves, the token refreshed after the membership TTL no longer
 * carries it and the proxy answers 403.
 */
describe('a target for the members of a GitHub organisation', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let resource: string;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, { OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS: String(TTL) });
    backend = await Backend.start((_req, res) => res.end('backend reached'));
    await protectTarget(
      server,
      HOST,
      backend.url,
      { mode: 'forward', required_orgs: ['Acme'] },
      { endpoint: '/mcp', scopes: ['mcp:read'] },
    );
    resource = `http://${HOST}:${server.httpPort}/mcp`;
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  const call = (accessToken: string) =>
    publicRequest({
      port: server.httpPort,
      host: `${HOST}:${server.httpPort}`,
      path: '/mcp',
      headers: { authorization: `Bearer ${accessToken}` },
    });

  it('serves a member, and refuses with 403 the token refreshed after they left (within the TTL)', async () => {
    github.join('bob', 'acme');
    const tokens = await obtainToken(server.issuer, github, 'bob', resource, 'mcp:read');
    expect(await call(tokens.access_token)).toMatchObject({ status: 200, text: 'backend reached' });

    github.leave('bob', 'acme');
    let refreshToken = tokens.refresh_token;
    const refused = await waitFor(
      "the proxy's answer to a refreshed token once the membership is read again",
      async () => {
        const res = await loopbackFetch(`${server.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: refreshToken,
            client_id: tokens.client_id,
          }).toString(),
        });
        const body = (await res.json()) as { access_token: string; refresh_token: string };
        if (res.status !== 200) throw new Error(`refresh: ${res.status} ${JSON.stringify(body)}`);
        refreshToken = body.refresh_token;
        return call(body.access_token);
      },
      (res) => res.status !== 200,
      { timeoutMs: (TTL + 5) * 1000, intervalMs: 250, failOnProbeError: true },
    );
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toMatch(/error="access_denied"/);
  });
});
