import { GithubStandin } from '../support/github-standin';
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
