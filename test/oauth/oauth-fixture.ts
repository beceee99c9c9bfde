import { createHash, randomBytes } from 'node:crypto';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';

export const RESOURCE_A = 'https://mcp-a.example.test/mcp';
export const RESOURCE_B = 'https://mcp-b.example.test/mcp';

/** A built server whose issuer is its admin listener, logging in through the GitHub stand-in. */
export async function startOAuthServer(
  github: GithubStandin,
  env: Record<string, string> = {},
  keyPrefix?: string,
): Promise<ServerProcess> {
  const server = await ServerProcess.prepare({ keyPrefix });
  Object.assign(server.env, {
    OAUTH_ISSUER: server.apiUrl,
    OAUTH_ALLOWED_GITHUB_USERS: 'alice,bob',
    ...github.env,
    ...env,
  });
  await server.launch();
  // Tokens are issued only for registered resources: register A and B once per key prefix (replicas share them).
  if (!keyPrefix) {
    for (const uri of [RESOURCE_A, RESOURCE_B]) {
      const hostname = new URL(uri).hostname;
      const target = await server.api('POST', '/api/v1/proxy/targets', {
        body: { hostname, target_url: 'http://127.0.0.1:9' },
      });
      const resource = await server.api('POST', '/api/v1/resources', {
        body: { uri, name: hostname, proxy_target: hostname },
      });
      if (target.status !== 201 || resource.status !== 201)
        throw new Error(`registering ${uri}: ${target.text} ${resource.text}`);
    }
  }
  return server;
}

export async function form(
  url: string,
  params: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
  const res = await fetch(url, {
    method: 'POST',
    body: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

export async function registerClient(
  server: ServerProcess,
  metadata: Record<string, unknown>,
): Promise<Record<string, string>> {
  const res = await fetch(`${server.apiUrl}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, string>;
}

export interface AuthorizeParams {
  client_id: string;
  redirect_uri: string;
  scope?: string;
  resource?: string;
}

export function authorizeUrl(server: ServerProcess, params: AuthorizeParams, challenge: string): URL {
  const url = new URL(`${server.apiUrl}/authorize`);
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/**
 * A whole authorization in `browser` (its session skips GitHub after the first), then the code
 * exchange of a public client: the token response, and the consent pages the user answered.
 */
export async function authorizeAndRedeem(
  server: ServerProcess,
  browser: OAuthBrowser,
  params: AuthorizeParams,
): Promise<{ token: Record<string, unknown>; consentPages: string[] }> {
  const verifier = randomBytes(32).toString('base64url');
  const flow = await browser.authorize(authorizeUrl(server, params, s256(verifier)), params.redirect_uri);
  const code = flow.callback?.searchParams.get('code');
  if (!code) throw new Error(`no code: ${flow.callback?.toString() ?? JSON.stringify(flow.page)}`);
  const res = await form(`${server.apiUrl}/token`, {
    grant_type: 'authorization_code',
    client_id: params.client_id,
    code,
    code_verifier: verifier,
    redirect_uri: params.redirect_uri,
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body, consentPages: flow.consentPages };
}

export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** The claims of a JWT access token (not verified: the tests read what was issued). */
export function claimsOf(accessToken: unknown): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(accessToken).split('.')[1], 'base64url').toString()) as Record<string, unknown>;
}
