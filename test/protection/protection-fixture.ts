import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { GithubStandin } from '../support/github-standin';
import { Backend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';

export const AUTH_HOST = 'auth.example.test';

/** A built server whose issuer is the auth hostname on its public HTTP listener. */
export async function startProtectedServer(
  github: GithubStandin,
  env: Record<string, string> = {},
  replicaOf?: ServerProcess & { issuer: string },
): Promise<ServerProcess & { issuer: string }> {
  const server = await ServerProcess.prepare({ keyPrefix: replicaOf?.keyPrefix });
  const issuer = replicaOf?.issuer ?? `http://${AUTH_HOST}:${server.httpPort}`;
  Object.assign(server.env, {
    AUTH_HOSTNAME: AUTH_HOST,
    OAUTH_ISSUER: issuer,
    OAUTH_ALLOWED_GITHUB_USERS: 'alice,bob',
    ...github.env,
    ...env,
  });
  await server.launch();
  return Object.assign(server, { issuer });
}

/**
 * A small MCP server (SDK McpServer + Streamable HTTP, stateless) on a loopback port, recording the
 * headers it received; it answers in JSON, or as event streams with `json: false`.
 */
export async function startMcpServer({ json = true } = {}): Promise<Backend & { received: IncomingHttpHeaders[] }> {
  const received: IncomingHttpHeaders[] = [];
  const backend = await Backend.start((req, res) => {
    received.push(req.headers);
    const mcp = new McpServer({ name: 'protected-echo', version: '1.0.0' });
    mcp.registerTool('echo', { description: 'Echoes the text', inputSchema: { text: z.string() } }, ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    mcp.registerTool('whoami', { description: 'The identity headers the proxy passed' }, () => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({
            login: req.headers['x-auth-user-name'],
            id: req.headers['x-auth-user-id'],
            scopes: req.headers['x-auth-scopes'],
            authorization: req.headers.authorization ?? null,
          }),
        },
      ],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    mcp
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch((error: Error) => {
        res.statusCode = 500;
        res.end(error.message);
      });
  });
  return Object.assign(backend, { received });
}

/** Creates an HTTP-only proxy target, protects it and (optionally) publishes its resource. */
export async function protectTarget(
  server: ServerProcess,
  hostname: string,
  backendUrl: string,
  auth: Record<string, unknown>,
  resource?: Record<string, unknown>,
): Promise<void> {
  const created = await server.api('POST', '/api/v1/proxy/targets', {
    body: { hostname, target_url: backendUrl, enable_https: false },
  });
  if (created.status !== 201) throw new Error(`target: ${created.status} ${created.text}`);
  const protectedRes = await server.api('POST', `/api/v1/proxy/targets/${hostname}/auth`, { body: auth });
  if (protectedRes.status !== 200)
    throw new Error(`auth: ${protectedRes.status} ${protectedRes.text}\n${server.logs.slice(-2000)}`);
  if (resource) {
    const published = await server.api('POST', `/api/v1/proxy/targets/${hostname}/resource`, { body: resource });
    if (published.status !== 200) throw new Error(`resource: ${published.status} ${published.text}`);
  }
}

const REDIRECT = 'http://127.0.0.1:43211/callback';

/** A real access token from the real flow (DCR, GitHub stand-in login, consent, PKCE, /token) for `resource`. */
export async function obtainToken(
  issuer: string,
  github: GithubStandin,
  login: string,
  resource: string,
  scope = 'mcp:read mcp:write',
): Promise<{ access_token: string; refresh_token: string; client_id: string }> {
  github.signIn(login);
  const reg = await loopbackFetch(`${issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'fixture', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  });
  const client = (await reg.json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${issuer}/authorize`);
  const params = {
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 's',
    scope,
    resource,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const flow = await new OAuthBrowser({ fetch: loopbackFetch }).authorize(url, REDIRECT);
  const code = flow.callback?.searchParams.get('code');
  if (!code) throw new Error(`no code: ${JSON.stringify(flow.page?.body ?? flow.callback?.search)}`);
  const res = await loopbackFetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: client.client_id,
      code_verifier: verifier,
      resource,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return { ...((await res.json()) as { access_token: string; refresh_token: string }), client_id: client.client_id };
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Tokens made by the test with the server's own key (from global-setup), to reach checks past the signature. */
export function signedToken(issuer: string, claims: Record<string, unknown>, kid: string): string {
  const key = createPrivateKey(Buffer.from(process.env.TEST_OAUTH_JWT_PRIVATE_KEY_B64 ?? '', 'base64').toString());
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: issuer,
    sub: '1001',
    scope: 'mcp:read mcp:write',
    client_id: 'client_test',
    iat: now,
    exp: now + 600,
    jti: randomBytes(8).toString('hex'),
    login: 'alice',
    ...claims,
  };
  const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid })}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** `alg: none` and HS256 keyed with the public key (the algorithm-confusion attacks). */
export function forgedTokens(issuer: string, aud: string, kid: string): { none: string; hs256: string } {
  const now = Math.floor(Date.now() / 1000);
  const payload = b64({
    iss: issuer,
    sub: '1001',
    aud,
    scope: 'mcp:read mcp:write',
    client_id: 'client_test',
    iat: now,
    exp: now + 600,
    jti: 'forged',
    login: 'alice',
  });
  const none = `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`;
  const publicPem = createPublicKey(
    createPrivateKey(Buffer.from(process.env.TEST_OAUTH_JWT_PRIVATE_KEY_B64 ?? '', 'base64').toString()),
  ).export({ type: 'spki', format: 'pem' });
  const hsInput = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${payload}`;
  const hs256 = `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`;
  return { none, hs256 };
}
