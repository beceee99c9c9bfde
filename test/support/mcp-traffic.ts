import { GithubStandin } from './github-standin';
import { publicRequest, type PublicResponse } from './loopback';
import { loopbackFetch } from './loopback-fetch';
import { setResourcePolicy } from './mcp-policy';
import { RecordingBackend } from './raw-http';
import type { ServerProcess } from './server-process';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

/** The governed target's policy: a denied tool, a scope for writes, an identity rule, a probe. */
export const TRAFFIC_POLICY = {
  rules: [
    { id: 'probe', method: 'tools/call', name: 'probe', deny: true },
    { id: 'no-shell', method: 'tools/call', name: 'shell', deny: true },
    { id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] },
    { id: 'bob-admin', method: 'tools/call', name: 'admin', users: ['bob'] },
  ],
};

const tool = (id: number, name: string) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });

/** A protected server with one governed MCP target (`host`, resource /mcp, scope mcp:read) and its tokens. */
export interface GovernedTarget {
  github: GithubStandin;
  server: ServerProcess & { issuer: string };
  backend: RecordingBackend;
  host: string;
  /** alice: mcp:read; bob: mcp:read mcp:write; aliceNoRead: mcp:write only (refused before the body). */
  tokens: { alice: string; bob: string; aliceNoRead: string };
  /**
   * The probes that waited for the policy: calls to the tool `probe` as alice, allowed until the
   * policy is served, then denied (denied-identity, rule probe).
   */
  probes: { allowed: number; denied: number };
  stop(): Promise<void>;
}

export async function startGovernedTarget(host: string): Promise<GovernedTarget> {
  const github = await GithubStandin.start();
  const server = await startProtectedServer(github);
  const backend = await RecordingBackend.start();
  await protectTarget(server, host, backend.url, { mode: 'forward' }, { endpoint: '/mcp', scopes: ['mcp:read'] });
  const jwks = (await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  const kid = jwks.keys[0].kid;
  const aud = `http://${host}:${server.httpPort}/mcp`;
  const tokens = {
    alice: signedToken(server.issuer, { aud, scope: 'mcp:read', login: 'alice' }, kid),
    bob: signedToken(server.issuer, { aud, scope: 'mcp:read mcp:write', login: 'bob' }, kid),
    aliceNoRead: signedToken(server.issuer, { aud, scope: 'mcp:write', login: 'alice' }, kid),
  };
  const target: GovernedTarget = {
    github,
    server,
    backend,
    host,
    tokens,
    probes: { allowed: 0, denied: 0 },
    async stop() {
      await backend.close();
      await server.stop();
      await github.stop();
    },
  };
  await setResourcePolicy(server, host, '/mcp', TRAFFIC_POLICY, async () => {
    const denied = (await mcpCall(target, tool(0, 'probe'), tokens.alice)).status === 403;
    target.probes[denied ? 'denied' : 'allowed']++;
    return denied;
  });
  return target;
}

export function mcpCall(target: GovernedTarget, body: string, token: string): Promise<PublicResponse> {
  return publicRequest({
    port: target.server.httpPort,
    host: target.host,
    path: '/mcp',
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
    },
    body,
  });
}

/**
 * Known MCP traffic through the governed target, each call checked for its answer: 5 allowed,
 * 3 denied-scope (one refused before the body was read), 2 denied-identity, 1 without a decision
 * (the Mcp-Method header disagrees with the body: 400). The counts it adds to GET /api/v1/logs/mcp
 * are in EXPECTED_TRAFFIC (plus the probes).
 */
export async function sendKnownTraffic(target: GovernedTarget): Promise<void> {
  const { alice, bob, aliceNoRead } = target.tokens;
  const calls: [string, string, number, Record<string, string>?][] = [
    [tool(1, 'echo'), alice, 200],
    [tool(2, 'echo'), alice, 200],
    [tool(3, 'echo'), alice, 200],
    [tool(4, 'write_b'), alice, 403],
    [tool(5, 'write_b'), alice, 403],
    [tool(6, 'shell'), alice, 403],
    [tool(7, 'admin'), alice, 403],
    [tool(8, 'write_a'), bob, 200],
    [tool(9, 'admin'), bob, 200],
    [tool(10, 'echo'), aliceNoRead, 403],
    [tool(11, 'echo'), alice, 400, { 'mcp-method': 'tools/list' }],
  ];
  for (const [body, token, status, headers] of calls) {
    const res = await publicRequest({
      port: target.server.httpPort,
      host: target.host,
      path: '/mcp',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
        ...headers,
      },
      body,
    });
    if (res.status !== status) throw new Error(`${body}: ${res.status}, expected ${status}: ${res.text}`);
  }
}
