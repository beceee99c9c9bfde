import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { GithubStandin } from '../support/github-standin';
import { publicRequest, type PublicResponse } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { resourceAt, setResourcePolicy, storePolicy } from '../support/mcp-policy';
import { PromScrape } from '../support/prometheus';
import { rawExchange, RecordingBackend } from '../support/raw-http';
import type { ServerProcess } from '../support/server-process';
import { waitFor, waitUntil } from '../support/wait';
import { protectTarget, signedToken, startMcpServer, startProtectedServer } from '../protection/protection-fixture';

const GOV = 'gov.mcp.test';
const PASS = 'pass.mcp.test';
const BROKEN = 'broken.mcp.test';
const ENGINES = ['http1', 'undici', 'node'] as const;

const GOV_POLICY = {
  metric_names: true,
  rules: [
    { id: 'no-shell', method: 'tools/call', name: 'shell', deny: true },
    { id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] },
    { id: 'bob-admin', method: 'tools/call', name: 'admin', users: ['bob'], emails: ['carol@example.test'] },
  ],
};
const STRICT_POLICY = { default: 'deny', rules: [{ id: 'completion', method: 'completion/complete' }] };
const PASS_POLICY = { rules: [{ id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] }] };

const call = (id: number | string, method: string, params?: unknown) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) });
const tool = (id: number | string, name: string) => call(id, 'tools/call', { name, arguments: {} });

interface LogRow {
  request_id: string;
  status: number;
  decision?: string;
  mcp_rule?: string;
  mcp_error?: number;
  mcp_method?: string;
  mcp_name?: string;
}

/** The JSON-RPC error of a refusal. */
function rpcError(res: PublicResponse): { id: unknown; code: number; message: string; data?: unknown } {
  const body = res.json<{ jsonrpc: string; id: unknown; error: { code: number; message: string; data?: unknown } }>();
  expect(body.jsonrpc).toBe('2.0');
  return { id: body.id, ...body.error };
}

/**
 * MCP governance (issue 18, items 3 and 6): on a resource with a policy, every JSON-RPC message is
 * decided before the request is forwarded. More scope would allow it: 403 with the step-up challenge;
 * no scope would: 403 naming the rule. A denied request never reaches the backend; every decision is
 * in the request log and in `mcp_requests_total`. On each forwarding engine.
 */
describe.each(ENGINES)('MCP governance (FORWARDING_ENGINE=%s)', (engine) => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: RecordingBackend;
  let reader: string; // alice, mcp:read
  let writer: string; // bob, mcp:read mcp:write
  let carol: string; // listed by e-mail only
  let strictToken: string;
  let noReadScope: string;
  let sequence = 0;

  const post = (
    host: string,
    path: string,
    body: string,
    token: string | undefined,
    headers: Record<string, string> = {},
  ): Promise<PublicResponse> =>
    publicRequest({
      port: server.httpPort,
      host,
      path,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'x-request-id': `gov-${engine}-${++sequence}`,
        ...(token && { authorization: `Bearer ${token}` }),
        ...headers,
      },
      body,
    });
  const gov = (body: string, token = reader, headers?: Record<string, string>) =>
    post(GOV, '/mcp', body, token, headers);
  const reached = () => backend.requests.length;
  const logs = (query: string) => server.api<{ entries: LogRow[] }>('GET', `/api/v1/logs${query}`);

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, { FORWARDING_ENGINE: engine });
    backend = await RecordingBackend.start();
    await protectTarget(
      server,
      GOV,
      backend.url,
      { mode: 'forward', excluded_paths: ['/mcp/public'] },
      { endpoint: '/mcp', scopes: ['mcp:read'] },
    );
    const strict = await server.api('POST', `/api/v1/proxy/targets/${GOV}/resource`, {
      body: { endpoint: '/strict', scopes: ['mcp:read'] },
    });
    expect(strict.status).toBe(200);
    await protectTarget(server, PASS, backend.url, { mode: 'passthrough' }, { endpoint: '/mcp' });
    const jwks = (await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    const kid = jwks.keys[0].kid;
    const aud = `http://${GOV}:${server.httpPort}/mcp`;
    reader = signedToken(server.issuer, { aud, scope: 'mcp:read', login: 'alice' }, kid);
    writer = signedToken(server.issuer, { aud, scope: 'mcp:read mcp:write', login: 'bob' }, kid);
    carol = signedToken(server.issuer, { aud, scope: 'mcp:read', login: 'carol', email: 'carol@example.test' }, kid);
    noReadScope = signedToken(server.issuer, { aud, scope: 'mcp:write', login: 'alice' }, kid);
    strictToken = signedToken(
      server.issuer,
      { aud: `http://${GOV}:${server.httpPort}/strict`, scope: 'mcp:read' },
      kid,
    );

    await setResourcePolicy(server, GOV, '/mcp', GOV_POLICY, async () => (await gov(tool(0, 'shell'))).status === 403);
    await setResourcePolicy(
      server,
      GOV,
      '/strict',
      STRICT_POLICY,
      async () => (await post(GOV, '/strict', tool(0, 'echo'), strictToken)).status === 403,
    );
    await setResourcePolicy(
      server,
      PASS,
      '/mcp',
      PASS_POLICY,
      async () => (await post(PASS, '/mcp', tool(0, 'write_x'), undefined)).status === 403,
    );
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  it('forwards an allowed call, byte for byte', async () => {
    const before = reached();
    const body = tool(1, 'echo');
    const res = await gov(body);
    expect([res.status, res.text]).toEqual([200, 'POST /mcp HTTP/1.1']);
    expect(backend.requests.slice(before).map((r) => r.body)).toEqual([body]);
    // The rule that allowed it, for a caller it allows.
    expect((await gov(tool(2, 'write_file'), writer)).status).toBe(200);
    expect((await gov(tool(3, 'admin'), writer)).status).toBe(200);
    expect((await gov(tool(4, 'admin'), carol)).status).toBe(200); // listed by e-mail
    expect(reached()).toBe(before + 4);
  });

  it('answers denied-scope with 403, the step-up challenge (needed plus held) and a JSON-RPC error; never forwarded', async () => {
    const before = reached();
    const res = await gov(tool('w1', 'write_file'));
    expect(res.status).toBe(403);
    const challenge = `Bearer error="insufficient_scope", scope="mcp:write mcp:read", resource_metadata="http://${GOV}:${server.httpPort}/.well-known/oauth-protected-resource/mcp", error_description="this call needs the scopes mcp:write (policy rule writes)"`;
    expect(res.headers['www-authenticate']).toBe(challenge);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(rpcError(res)).toEqual({
      id: 'w1',
      code: -32003,
      message: `tools/call write_file is denied by rule "writes" of http://${GOV}:${server.httpPort}/mcp`,
      data: { rule: 'writes', decision: 'denied-scope', scopes: ['mcp:write'] },
    });
    // What the MCP SDK client (1.32) reads from it to re-authorize: the scope to ask for, the metadata.
    const seen = extractWWWAuthenticateParams(new Response(null, { headers: { 'www-authenticate': challenge } }));
    expect([seen.error, seen.scope, seen.resourceMetadataUrl?.href]).toEqual([
      'insufficient_scope',
      'mcp:write mcp:read',
      `http://${GOV}:${server.httpPort}/.well-known/oauth-protected-resource/mcp`,
    ]);
    expect(reached()).toBe(before);
  });

  it('answers denied-identity with 403 naming the rule and no scope hint: deny rule, subject not listed, default deny', async () => {
    const before = reached();
    const cases: [PublicResponse, string, string][] = [
      [await gov(tool(1, 'shell'), writer), 'no-shell', 'tools/call shell'],
      [await gov(tool(2, 'admin')), 'bob-admin', 'tools/call admin'],
      [await post(GOV, '/strict', tool(3, 'echo'), strictToken), 'default', 'tools/call echo'],
    ];
    for (const [res, rule, what] of cases) {
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(rpcError(res)).toMatchObject({
        code: -32003,
        message: expect.stringMatching(new RegExp(`^${what} is denied by rule "${rule}" of http://`)),
        data: { rule, decision: 'denied-identity' },
      });
    }
    // The strict resource's rule lets completion/complete through (lists are outside the default: filtered instead).
    expect((await post(GOV, '/strict', call(4, 'completion/complete'), strictToken)).status).toBe(200);
    expect(reached()).toBe(before + 1);
  });

  it('decides a batch as a whole: denied-identity over denied-scope, id null; all allowed passes', async () => {
    const before = reached();
    const scoped = await gov(`[${tool(1, 'echo')},${tool(2, 'write_x')}]`);
    expect([scoped.status, rpcError(scoped).id, (rpcError(scoped).data as { rule: string }).rule]).toEqual([
      403,
      null,
      'writes',
    ]);
    expect(scoped.headers['www-authenticate']).toMatch(/scope="mcp:write mcp:read"/);
    const identity = await gov(`[${tool(1, 'write_x')},${tool(2, 'shell')}]`);
    expect([identity.status, rpcError(identity).data]).toEqual([
      403,
      { rule: 'no-shell', decision: 'denied-identity' },
    ]);
    expect(reached()).toBe(before);
    // A client's answer to a server request (no method) is not decided.
    const allowed = await gov(`[${tool(1, 'echo')},{"jsonrpc":"2.0","id":9,"result":{}}]`);
    expect(allowed.status).toBe(200);
    expect(reached()).toBe(before + 1);
  });

  it('governs passthrough callers without a token as callers without scopes', async () => {
    const before = reached();
    const denied = await post(PASS, '/mcp', tool(1, 'write_x'), undefined);
    expect(denied.status).toBe(403);
    expect(denied.headers['www-authenticate']).toBe(
      `Bearer error="insufficient_scope", scope="mcp:write", resource_metadata="http://${PASS}:${server.httpPort}/.well-known/oauth-protected-resource/mcp", error_description="this call needs the scopes mcp:write (policy rule writes)"`,
    );
    expect((await post(PASS, '/mcp', tool(2, 'echo'), undefined)).status).toBe(200);
    expect(reached()).toBe(before + 1);
  });

  it('governs paths below the endpoint, not excluded paths', async () => {
    const before = reached();
    expect((await post(GOV, '/mcp/sub', tool(1, 'shell'), reader)).status).toBe(403);
    expect((await post(GOV, '/mcp/public', tool(2, 'shell'), undefined)).status).toBe(200);
    expect(backend.requests.slice(before).map((r) => r.line)).toEqual(['POST /mcp/public HTTP/1.1']);
  });

  it('refuses what it cannot read under a policy: WebSocket 403, text/plain POST 415, PUT 405', async () => {
    const before = reached();
    const raw = (line: string, headers: string, body = '') =>
      rawExchange(
        server.httpPort,
        `${line}\r\nHost: ${GOV}\r\nAuthorization: Bearer ${reader}\r\n${headers}\r\n${body}`,
      );
    const ws = await raw(
      'GET /mcp HTTP/1.1',
      'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n',
    );
    const text = await raw(
      'POST /mcp HTTP/1.1',
      'Content-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n',
      'x',
    );
    const put = await raw(
      'PUT /mcp HTTP/1.1',
      'Content-Type: application/json\r\nContent-Length: 1\r\nConnection: close\r\n',
      '1',
    );
    expect([ws, text, put].map((r) => r.responses[0]?.status)).toEqual([403, 415, 405]);
    expect(reached()).toBe(before);
  });

  it('checks Mcp-Name against the body before deciding: a differently spelled name is -32020', async () => {
    const before = reached();
    for (const name of ['echo', 'Shell', `=?base64?${Buffer.from('shell\u200b').toString('base64')}?=`]) {
      const res = await gov(tool(1, 'shell'), reader, { 'mcp-method': 'tools/call', 'mcp-name': name });
      expect([res.status, rpcError(res).code]).toEqual([400, -32020]);
    }
    expect(reached()).toBe(before);
  });

  it('decides on what the backend reads: case, duplicate keys, unicode escapes, params as an array', async () => {
    const before = reached();
    const tricks = [
      // JSON-RPC methods are case-sensitive (the SDK server answers -32601), but a backend folding
      // case would run tools/call: a spelling of a spec method gets the stricter verdict.
      [call(1, 'Tools/Call', { name: 'shell' }), 'no-shell'],
      // JSON.parse keeps the last of duplicate keys, as the SDK server does (its suite below).
      ['{"jsonrpc":"2.0","id":2,"method":"tools/list","method":"tools/call","params":{"name":"shell"}}', 'no-shell'],
      ['{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","name":"shell"}}', 'no-shell'],
      // Decided on the parsed value: \u0073hell is shell.
      ['{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"\\u0073hell"}}', 'no-shell'],
      ['{"jsonrpc":"2.0","id":5,"method":"tools\\u002fcall","params":{"name":"write_x"}}', 'writes'],
      // No name the proxy can read, while rules look at names: denied.
      [call(6, 'tools/call', ['shell']), 'unnamed'],
      [call(7, 'tools/call', { name: 42 }), 'unnamed'],
    ] as const;
    for (const [body, rule] of tricks) {
      const res = await gov(body);
      expect([res.status, (rpcError(res).data as { rule: string }).rule]).toEqual([403, rule]);
    }
    expect(reached()).toBe(before);
  });

  it('logs the decision, the rule and the error code, filterable by decision and mcp_rule', async () => {
    const ids: Record<string, string> = {};
    // The request was made (and its x-request-id numbered) when its promise was.
    const send = async (label: string, res: Promise<PublicResponse>, status: number) => {
      ids[label] = `gov-${engine}-${sequence}`;
      expect((await res).status).toBe(status);
    };
    await send('allowed', gov(tool(1, 'write_a'), writer), 200);
    await send('scope', gov(tool(2, 'write_b')), 403);
    await send('identity', gov(tool(3, 'shell')), 403);
    await send('mismatch', gov(tool(4, 'echo'), reader, { 'mcp-method': 'tools/list' }), 400);
    await send('auth', gov(tool(5, 'echo'), noReadScope), 403);
    const page = await waitFor(
      'the five requests in the log',
      () => logs(`?hostname=${GOV}&limit=1000`),
      (res) =>
        res.status === 200 && Object.values(ids).every((id) => res.body.entries.some((e) => e.request_id === id)),
    );
    const row = (label: string) => {
      const e = page.body.entries.find((x) => x.request_id === ids[label]);
      return e && [e.status, e.decision, e.mcp_rule, e.mcp_error, e.mcp_method, e.mcp_name];
    };
    expect(row('allowed')).toEqual([200, 'allowed', 'writes', undefined, 'tools/call', 'write_a']);
    expect(row('scope')).toEqual([403, 'denied-scope', 'writes', -32003, 'tools/call', 'write_b']);
    expect(row('identity')).toEqual([403, 'denied-identity', 'no-shell', -32003, 'tools/call', 'shell']);
    expect(row('mismatch')).toEqual([400, undefined, undefined, -32020, 'tools/call', 'echo']);
    // The proxy's own 403 before any body was read: the token lacks the resource's scope.
    expect(row('auth')).toEqual([403, 'denied-scope', undefined, undefined, undefined, undefined]);

    const found = async (query: string) =>
      (await logs(`?hostname=${GOV}&limit=1000&${query}`)).body.entries.map((e) => e.request_id);
    expect(await found('decision=denied-scope&mcp_rule=writes')).toContain(ids.scope);
    expect(await found('decision=denied-scope&mcp_rule=writes')).not.toContain(ids.allowed);
    expect(await found('decision=denied-identity')).toContain(ids.identity);
    expect(await found('mcp_rule=writes')).toEqual(expect.arrayContaining([ids.allowed, ids.scope]));
    const bad = await logs('?decision=maybe');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('decision must be one of allowed, denied-scope, denied-identity');
  });

  it('refuses every request to a target whose stored policy cannot be read (503, fail closed)', async () => {
    await protectTarget(server, BROKEN, backend.url, { mode: 'forward' }, { endpoint: '/mcp' });
    const resource = await resourceAt(server, BROKEN, '/mcp');
    await storePolicy(server.keyPrefix, resource.id, { rules: [{ id: 'no method' }] });
    const before = reached();
    await waitUntil('the broken policy refused', async () => {
      const res = await post(BROKEN, '/mcp', tool(1, 'echo'), reader);
      return res.status === 503;
    });
    const get = await publicRequest({ port: server.httpPort, host: BROKEN, path: '/other' });
    expect([get.status, get.json<{ error: string }>().error]).toEqual([503, 'temporarily_unavailable']);
    expect(reached()).toBe(before);
  });

  it('counts mcp_requests_total by target, method and decision, with names only where the policy allows', async () => {
    const scrape = async () => new PromScrape(await (await fetch(`${server.apiUrl}/metrics`)).text());
    const labels = { target: GOV, method: 'tools/call', decision: 'denied-identity', name: 'shell' };
    const before = (await scrape()).value('mcp_requests_total', labels);
    expect((await gov(tool(1, 'shell'))).status).toBe(403);
    expect((await gov(call(2, 'Tools/Call', { name: 'shell' }))).status).toBe(403);
    expect((await post(PASS, '/mcp', tool(3, 'echo'), undefined)).status).toBe(200);
    const after = await scrape();
    expect(after.value('mcp_requests_total', labels)).toBe(before + 1);
    // A method outside the spec's list is `other` (clients choose the method).
    expect(
      after.value('mcp_requests_total', { target: GOV, method: 'other', decision: 'denied-identity' }),
    ).toBeGreaterThan(0);
    // The passthrough target's policy does not allow names as labels.
    const pass = after.sample('mcp_requests_total', { target: PASS, method: 'tools/call', decision: 'allowed' });
    expect(pass?.labels).toEqual({ target: PASS, method: 'tools/call', decision: 'allowed' });
  });
});

/**
 * What the proxy decides on is what the MCP SDK server (the backend of most MCP servers) runs:
 * the same JSON reading (last duplicate key wins, escapes decoded), exact method names.
 */
describe('the MCP SDK server reads requests as the proxy does', () => {
  let mcp: Awaited<ReturnType<typeof startMcpServer>>;
  beforeAll(async () => {
    mcp = await startMcpServer();
  });
  afterAll(async () => {
    await mcp?.close();
  });
  const send = async (body: string) => {
    const res = await fetch(`${mcp.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body,
    });
    return (await res.json()) as { result?: { content?: { text: string }[] }; error?: { code: number } };
  };

  it('takes the last of duplicate keys and decodes escapes, and matches methods exactly', async () => {
    const text = (r: Awaited<ReturnType<typeof send>>) => r.result?.content?.[0]?.text;
    const duplicate = await send(
      '{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"whoami","name":"echo","arguments":{"text":"last"}}}',
    );
    expect(text(duplicate)).toBe('last');
    const escaped = await send(
      '{"jsonrpc":"2.0","id":2,"method":"tools\\u002fcall","params":{"name":"\\u0065cho","arguments":{"text":"esc"}}}',
    );
    expect(text(escaped)).toBe('esc');
    expect((await send(call(3, 'Tools/Call', { name: 'echo', arguments: { text: 'x' } }))).error?.code).toBe(-32601);
  });
});
