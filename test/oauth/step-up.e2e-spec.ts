import { randomBytes } from 'node:crypto';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import {
  authorizeAndRedeem,
  authorizeUrl,
  claimsOf,
  form,
  registerClient,
  RESOURCE_A,
  RESOURCE_B,
  s256,
  startOAuthServer,
} from './oauth-fixture';

/** The scopes a consent page asks for, and the line naming those already allowed. */
function asked(page: string): { scopes: string[]; already?: string } {
  const list = /<p>(?:New permissions|Permissions):<\/p><ul>(.*?)<\/ul>/.exec(page)?.[1] ?? '';
  return {
    scopes: [...list.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]),
    already: /<p>Already allowed: (.*?)<\/p>/.exec(page)?.[1]?.replace(/<\/?code>/g, ''),
  };
}

/**
 * Step-up at the authorization server: a re-authorization that adds scopes asks only for the new
 * ones, and the token carries them with those granted before to the same client for the same resource.
 */
describe('OAuth authorization server: step-up authorization', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let client: Record<string, string>;
  const redirect = 'https://app.example.test/callback';

  beforeAll(async () => {
    github = await GithubStandin.start();
    github.signIn('alice');
    server = await startOAuthServer(github, { OAUTH_SCOPES: 'mcp:read mcp:write mcp:admin' });
    // Registered with the narrower scope an SDK client registers with (the scope of its first challenge).
    client = await registerClient(server, {
      client_name: 'Step-up client',
      redirect_uris: [redirect],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'mcp:read',
    });
  });
  afterAll(async () => {
    await server.stop();
    await github.stop();
  });

  const params = (scope: string | undefined, resource = RESOURCE_A) => ({
    client_id: client.client_id,
    redirect_uri: redirect,
    scope,
    resource,
  });

  it('asks only for the added scopes, accumulates them per resource, and keeps them across refreshes', async () => {
    const browser = new OAuthBrowser();
    // First: mcp:read, through GitHub and a consent page.
    const first = await authorizeAndRedeem(server, browser, params('mcp:read'));
    expect(first.consentPages.map(asked)).toEqual([{ scopes: ['mcp:read'] }]);
    expect(first.token.scope).toBe('mcp:read');

    // Step-up: mcp:read mcp:write; the page lists mcp:write alone and names mcp:read as already allowed.
    const second = await authorizeAndRedeem(server, browser, params('mcp:read mcp:write'));
    expect(second.consentPages.map(asked)).toEqual([{ scopes: ['mcp:write'], already: 'mcp:read' }]);
    expect(second.consentPages[0]).toContain('<p>New permissions:</p><ul><li><code>mcp:write</code></li></ul>');
    expect(second.token.scope).toBe('mcp:read mcp:write');
    // Nothing new: no page.
    expect((await authorizeAndRedeem(server, browser, params('mcp:read mcp:write'))).consentPages).toEqual([]);

    // A request for mcp:write alone, same resource: no page, and mcp:read comes along (accumulated).
    const third = await authorizeAndRedeem(server, browser, params('mcp:write'));
    expect(third.consentPages).toEqual([]);
    expect(third.token.scope).toBe('mcp:write mcp:read');
    expect(claimsOf(third.token.access_token)).toMatchObject({ aud: RESOURCE_A, scope: 'mcp:write mcp:read' });
    // Without a scope: the client's registered default, plus what it holds for the resource.
    expect((await authorizeAndRedeem(server, browser, params(undefined))).token.scope).toBe('mcp:read mcp:write');

    // Another resource: what was granted for A does not come along.
    const other = await authorizeAndRedeem(server, browser, params('mcp:write', RESOURCE_B));
    expect(other.consentPages).toEqual([]);
    expect(claimsOf(other.token.access_token)).toMatchObject({ aud: RESOURCE_B, scope: 'mcp:write' });

    // Refresh keeps the grant's scopes; a refresh asking for fewer gets fewer, and the grant keeps all.
    const refresh = (token: Record<string, unknown>, scope?: string) =>
      form(`${server.apiUrl}/token`, {
        grant_type: 'refresh_token',
        client_id: client.client_id,
        refresh_token: String(token.refresh_token),
        ...(scope ? { scope } : {}),
      });
    const kept = await refresh(third.token);
    expect(kept).toMatchObject({ status: 200, body: { scope: 'mcp:write mcp:read' } });
    const fewer = await refresh(kept.body, 'mcp:read');
    expect(fewer).toMatchObject({ status: 200, body: { scope: 'mcp:read' } });
    expect(claimsOf(fewer.body.access_token)).toMatchObject({ aud: RESOURCE_A, scope: 'mcp:read' });
    expect(await refresh(fewer.body)).toMatchObject({ status: 200, body: { scope: 'mcp:write mcp:read' } });
  });

  it('asks a client registered with a narrower scope for the scope it steps up to (registered scope is a default)', async () => {
    github.signIn('bob');
    const browser = new OAuthBrowser();
    expect((await authorizeAndRedeem(server, browser, params(undefined))).token.scope).toBe('mcp:read');
    const admin = await authorizeAndRedeem(server, browser, params('mcp:admin'));
    expect(admin.consentPages.map(asked)).toEqual([{ scopes: ['mcp:admin'], already: 'mcp:read' }]);
    expect(admin.token.scope).toBe('mcp:admin mcp:read');
    // A scope the server does not offer stays refused.
    const unknown = await browser.authorize(
      authorizeUrl(server, params('mcp:read repo'), s256(randomBytes(32).toString('base64url'))),
      redirect,
    );
    expect(unknown.callback?.searchParams.get('error')).toBe('invalid_scope');
  });
});
