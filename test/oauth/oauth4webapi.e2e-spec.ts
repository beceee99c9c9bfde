import * as oauth from 'oauth4webapi';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { RESOURCE_A, startOAuthServer } from './oauth-fixture';

/**
 * The authorization server driven by oauth4webapi, a strict and independent OAuth client:
 * discovery, dynamic registration, PKCE, RFC 9207 `iss`, code exchange, refresh rotation,
 * revocation and introspection, with a headless GitHub login (stand-in) and consent.
 */
describe('OAuth 2.1 authorization server with oauth4webapi', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let as: oauth.AuthorizationServer;
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  const redirectUri = 'http://127.0.0.1/callback';

  beforeAll(async () => {
    github = await GithubStandin.start();
    github.signIn('alice');
    server = await startOAuthServer(github);
    const issuer = new URL(server.apiUrl);
    as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
  });
  afterAll(async () => {
    await server.stop();
    await github.stop();
  });

  it('publishes RFC 8414 metadata with one exact issuer, S256 only, and iss support', async () => {
    expect(as).toMatchObject({
      issuer: server.apiUrl,
      authorization_endpoint: `${server.apiUrl}/authorize`,
      token_endpoint: `${server.apiUrl}/token`,
      registration_endpoint: `${server.apiUrl}/register`,
      revocation_endpoint: `${server.apiUrl}/revoke`,
      introspection_endpoint: `${server.apiUrl}/introspect`,
      jwks_uri: `${server.apiUrl}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
    expect(as.token_endpoint_auth_methods_supported).toContain('none');
    const oidc = await fetch(`${server.apiUrl}/.well-known/openid-configuration`);
    expect(await oidc.json()).toEqual(as);
    const jwks = (await (await fetch(`${server.apiUrl}/jwks`)).json()) as {
      keys: { kid: string; alg: string; kty: string }[];
    };
    expect(jwks.keys).toHaveLength(1);
    const preflight = await fetch(`${server.apiUrl}/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://claude.ai', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('mcp-protocol-version');
    expect(jwks.keys[0]).toMatchObject({
      kty: 'RSA',
      alg: 'RS256',
      use: 'sig',
      kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  async function login(client: oauth.Client, options: { scope?: string; resource?: string } = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.searchParams.set('client_id', client.client_id);
    url.searchParams.set('redirect_uri', redirectUri.replace('127.0.0.1', '127.0.0.1:43117'));
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', state);
    if (options.scope) url.searchParams.set('scope', options.scope);
    if (options.resource) url.searchParams.set('resource', options.resource);
    const flow = await new OAuthBrowser().authorize(url, 'http://127.0.0.1:43117/callback');
    if (!flow.callback) throw new Error(`no callback: ${JSON.stringify(flow.page)}`);
    return { verifier, state, callback: flow.callback, redirect: 'http://127.0.0.1:43117/callback' };
  }

  it('runs DCR, PKCE, iss, code exchange, refresh rotation, introspection and revocation (public client)', async () => {
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        {
          client_name: 'oauth4webapi public',
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
        },
        insecure,
      ),
    );
    expect(registered.client_id).toMatch(/^client_/);
    expect(registered.client_secret).toBeUndefined();
    const client: oauth.Client = { client_id: registered.client_id, token_endpoint_auth_method: 'none' };

    const { verifier, state, callback, redirect } = await login(client, {
      scope: 'mcp:read mcp:write',
      resource: `${RESOURCE_A}/`,
    });
    expect(callback.searchParams.get('iss')).toBe(server.apiUrl);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirect, verifier, insecure),
    );
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'mcp:read mcp:write', expires_in: 3600 });
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      iss: server.apiUrl,
      aud: RESOURCE_A,
      client_id: client.client_id,
      login: 'alice',
      scope: 'mcp:read mcp:write',
      sub: String(github.signIn('alice').id),
    });
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'client_id',
      'email',
      'exp',
      'iat',
      'iss',
      'jti',
      'login',
      'name',
      'scope',
      'sub',
    ]);

    // Refresh rotates: a new refresh token each time.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, insecure),
    );
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);

    // Introspection needs an authenticated caller: the admin token here.
    const introspected = await fetch(as.introspection_endpoint!, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${refreshed.access_token}`,
    });
    expect(introspected.status).toBe(200);
    expect(await introspected.json()).toMatchObject({
      active: true,
      client_id: client.client_id,
      username: 'alice',
      aud: RESOURCE_A,
      scope: 'mcp:read mcp:write',
    });

    // Revoking the refresh token ends the grant and its access tokens.
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, oauth.None(), refreshed.refresh_token!, insecure),
    );
    await expect(
      oauth
        .refreshTokenGrantRequest(as, client, oauth.None(), refreshed.refresh_token!, insecure)
        .then((r) => oauth.processRefreshTokenResponse(as, client, r)),
    ).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
    const after = await fetch(as.introspection_endpoint!, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${refreshed.access_token}`,
    });
    expect(await after.json()).toEqual({ active: false });
  });

  it('works for a confidential client with client_secret_basic, which may introspect its own tokens', async () => {
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        {
          client_name: 'oauth4webapi confidential',
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['authorization_code', 'refresh_token'],
        },
        insecure,
      ),
    );
    expect(registered.client_secret).toMatch(/^cs_/);
    const client: oauth.Client = { client_id: registered.client_id };
    const auth = oauth.ClientSecretBasic(registered.client_secret as string);
    const { verifier, state, callback, redirect } = await login(client, { resource: RESOURCE_A });
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirect, verifier, insecure),
    );
    const info = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    );
    expect(info).toMatchObject({ active: true, client_id: client.client_id, username: 'alice' });
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure),
    );
    const revoked = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    );
    expect(revoked).toEqual({ active: false });
  });

  it('manages the registration with RFC 7592 (read, update, delete with the registration access token)', async () => {
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        { client_name: 'managed', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' },
        insecure,
      ),
    );
    const uri = registered.registration_client_uri as string;
    const rat = registered.registration_access_token as string;
    expect(uri).toBe(`${server.apiUrl}/register/${registered.client_id}`);
    const read = await fetch(uri, { headers: { authorization: `Bearer ${rat}` } });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      client_id: registered.client_id,
      client_name: 'managed',
      redirect_uris: [redirectUri],
    });
    expect((await fetch(uri, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const updated = await fetch(uri, {
      method: 'PUT',
      headers: { authorization: `Bearer ${rat}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: registered.client_id,
        client_name: 'renamed',
        redirect_uris: ['https://app.example.test/cb'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({
      client_name: 'renamed',
      redirect_uris: ['https://app.example.test/cb'],
    });
    expect((await fetch(uri, { method: 'DELETE', headers: { authorization: `Bearer ${rat}` } })).status).toBe(204);
    expect((await fetch(uri, { headers: { authorization: `Bearer ${rat}` } })).status).toBe(401);
  });
});
