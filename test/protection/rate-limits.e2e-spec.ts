import { Backend, publicRequest, type PublicResponse } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { GithubStandin } from '../support/github-standin';
import { setResourcePolicy } from '../support/mcp-policy';
import { PromScrape } from '../support/prometheus';
import { rawExchange } from '../support/raw-http';
import type { ServerProcess } from '../support/server-process';
import { storeRecordField } from '../support/stored-records';
import { waitFor } from '../support/wait';
import { AUTH_HOST, protectTarget, signedToken, startProtectedServer } from './protection-fixture';

const OPEN = 'open.limits.test';
const USERS = 'users.limits.test';
const MCP = 'mcp.limits.test';
const SHARED = 'shared.limits.test';

interface LogRow {
  request_id: string;
  status: number;
  decision?: string;
  mcp_rule?: string;
  mcp_error?: number;
}

/**
 * Rate limits through the built server (docs/rate-limits.md): RATE_LIMITS on every proxied request
 * and nothing else, target limits per user and per client (real signed tokens), MCP rule limits
 * counting only the calls they match with the JSON-RPC error (single and batch), the request log
 * and metrics, the target API, a stored list that cannot be applied, and two replicas on one Redis.
 */
describe('rate limits', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let replica: ServerProcess & { issuer: string };
  let limited: ServerProcess & { issuer: string };
  let backend: Backend;
  /** Requests that reached the backend. */
  let reached = 0;
  let kid = '';

  const tokenFor = (at: ServerProcess & { issuer: string }, host: string, sub: string, client: string) =>
    signedToken(at.issuer, { aud: `http://${host}:${at.httpPort}/mcp`, sub, client_id: client }, kid);
  const get = (at: ServerProcess, host: string, token?: string, id?: string) =>
    publicRequest({
      port: at.httpPort,
      host,
      path: '/mcp',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(id ? { 'x-request-id': id } : {}),
        accept: 'application/json',
      },
    });
  const statuses = async (n: number, send: () => Promise<PublicResponse>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await send()).status);
    return out;
  };
  const logs = (at: ServerProcess, host: string) =>
    at.api<{ entries: LogRow[] }>('GET', `/api/v1/logs?hostname=${host}&limit=200`);
  const scrape = async (at: ServerProcess) => new PromScrape(await (await fetch(`${at.apiUrl}/metrics`)).text());

  beforeAll(async () => {
    github = await GithubStandin.start();
    backend = await Backend.start((req, res) => {
      reached++;
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    server = await startProtectedServer(github);
    [replica, limited] = await Promise.all([
      startProtectedServer(github, {}, server),
      startProtectedServer(github, { RATE_LIMITS: '[{"per":"address","limit":3,"window":"1h"}]' }),
    ]);
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), replica?.stop(), limited?.stop(), backend?.close(), github?.stop()]);
  });

  it('RATE_LIMITS: every proxied request counts (HTTP and WebSocket); 429 with Retry-After, no-store and what to wait for', async () => {
    expect(
      (await limited.api('POST', '/api/v1/proxy/targets', { body: { hostname: OPEN, target_url: backend.url } }))
        .status,
    ).toBe(201);
    const send = (id?: string) => get(limited, OPEN, undefined, id);
    // Until the table serves the new target; each 200 meanwhile counts.
    let admitted = 0;
    await waitFor(
      'the target served',
      async () => {
        const status = (await send()).status;
        if (status === 200) admitted++;
        return status;
      },
      (status) => status !== 404,
    );
    for (; admitted < 3; admitted++) expect((await send()).status).toBe(200);
    const before = reached;
    const refused = await send('global-refused');
    expect([refused.status, refused.headers['cache-control'], refused.headers['content-type']]).toEqual([
      429,
      'no-store',
      'application/json',
    ]);
    // 3 per hour: the next one drips in after 20 minutes.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(1190);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(1200);
    expect(refused.json()).toEqual({
      error: 'rate_limited',
      error_description: expect.stringMatching(
        /^too many requests: the limit 3\/1h per address of this server \(RATE_LIMITS\) is reached; retry after \d+ s$/,
      ),
    });
    expect(reached - before).toBe(0);
    const upgrade = await rawExchange(
      limited.httpPort,
      `GET /ws HTTP/1.1\r\nHost: ${OPEN}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(upgrade.responses[0]?.status).toBe(429);
    expect(upgrade.responses[0]?.head).toMatch(/\r\nretry-after: \d+/i);
    expect(upgrade.responses[0]?.head.match(/\r\n(content-type|cache-control):/gi)).toHaveLength(2);

    // Not the OAuth endpoints (the public surface), not the admin API.
    const metadata = await publicRequest({
      port: limited.httpPort,
      host: AUTH_HOST,
      path: '/.well-known/oauth-authorization-server',
    });
    expect(metadata.status).toBe(200);
    expect((await limited.api('GET', `/api/v1/proxy/targets/${OPEN}`)).status).toBe(200);

    const row = await waitFor(
      'the refused request in the log',
      async () => (await logs(limited, OPEN)).body.entries.find((e) => e.request_id === 'global-refused'),
      (e) => e !== undefined,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect([row?.status, row?.decision]).toEqual([429, 'rate-limited']);
    expect((await scrape(limited)).value('rate_limited_total', { target: OPEN, scope: 'global', per: 'address' })).toBe(
      2,
    );
  });

  it('target limits per user (the token sub, over every client) and per client (over every user)', async () => {
    await protectTarget(server, USERS, backend.url, { mode: 'forward', required_users: ['*'] }, { endpoint: '/mcp' });
    const put = await server.api('PUT', `/api/v1/proxy/targets/${USERS}/rate-limits`, {
      body: [{ per: 'user', limit: 2, window: '1h' }],
    });
    expect([put.status, put.body]).toEqual([200, [{ per: 'user', limit: 2, window: '1h' }]]);
    const aliceA = tokenFor(server, USERS, '1001', 'client_a');
    const aliceB = tokenFor(server, USERS, '1001', 'client_b');
    const bobA = tokenFor(server, USERS, '1002', 'client_a');
    // A user of its own, until the limit is served (the table follows the write through pub/sub).
    const probe = tokenFor(server, USERS, 'probe-user', 'client_probe');
    await waitFor(
      'the user limit served',
      () => get(server, USERS, probe),
      (r) => r.status === 429,
    );
    expect(await statuses(2, () => get(server, USERS, aliceA))).toEqual([200, 200]);
    const refused = await get(server, USERS, aliceB);
    expect([refused.status, refused.json<{ error_description: string }>().error_description]).toEqual([
      429,
      expect.stringContaining(`the limit 2/1h per user of proxy target ${USERS} is reached`),
    ]);
    expect(await statuses(2, () => get(server, USERS, bobA))).toEqual([200, 200]);

    // Per client: a new limit is a new counter (its key names the limit).
    await server.api('PUT', `/api/v1/proxy/targets/${USERS}/rate-limits`, {
      body: [{ per: 'client', limit: 3, window: '1h' }],
    });
    const carolC = tokenFor(server, USERS, '1003', 'client_c');
    const daveC = tokenFor(server, USERS, '1004', 'client_c');
    const probeClient = tokenFor(server, USERS, '1005', 'client_probe2');
    await waitFor(
      'the client limit served',
      () => get(server, USERS, probeClient),
      (r) => r.status === 429,
    );
    expect(await statuses(2, () => get(server, USERS, carolC))).toEqual([200, 200]);
    expect(await statuses(2, () => get(server, USERS, daveC))).toEqual([200, 429]);
    expect((await get(server, USERS, tokenFor(server, USERS, '1003', 'client_d'))).status).toBe(200);
    // daveC's refusal and the probe's.
    expect((await scrape(server)).value('rate_limited_total', { target: USERS, scope: 'target', per: 'client' })).toBe(
      2,
    );
  });

  it('the target API: 400 naming every problem, GET, DELETE, and rate_limits on create and update', async () => {
    const bad = await server.api<{ message: string }>('PUT', `/api/v1/proxy/targets/${USERS}/rate-limits`, {
      body: [{ per: 'team', limit: 0, window: '1w' }],
    });
    expect([bad.status, bad.body.message.split('; ')]).toEqual([
      400,
      [
        'rate_limits[0]: per must be one of user, client, address',
        'rate_limits[0]: limit must be a whole number from 1 to 1000000',
        'rate_limits[0]: window must be a duration such as "30s", "1m", "1h" or "1d" (1 s to 1 day)',
      ],
    ]);
    const notArray = await server.api<{ message: string }>('PUT', `/api/v1/proxy/targets/${USERS}/rate-limits`, {
      body: { per: 'user' },
    });
    expect([notArray.status, notArray.body.message]).toEqual([
      400,
      'rate_limits must be an array of limits such as [{"per":"user","limit":60,"window":"1m"}]',
    ]);
    expect((await server.api('GET', `/api/v1/proxy/targets/${USERS}/rate-limits`)).body).toEqual([
      { per: 'client', limit: 3, window: '1h' },
    ]);
    const cleared = await server.api('DELETE', `/api/v1/proxy/targets/${USERS}/rate-limits`);
    expect([cleared.status, cleared.body]).toEqual([200, []]);
    expect(
      (await server.api<{ rate_limits: unknown }>('GET', `/api/v1/proxy/targets/${USERS}`)).body.rate_limits,
    ).toEqual([]);

    const refusedCreate = await server.api<{ message: string }>('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'bad.limits.test', target_url: backend.url, rate_limits: [{ per: 'user', limit: 5 }] },
    });
    expect([refusedCreate.status, refusedCreate.body.message]).toEqual([
      400,
      'rate_limits[0]: window must be a duration such as "30s", "1m", "1h" or "1d" (1 s to 1 day)',
    ]);
    expect((await server.api('GET', '/api/v1/proxy/targets/bad.limits.test')).status).toBe(404);
    const updated = await server.api<{ rate_limits: unknown }>('PUT', `/api/v1/proxy/targets/${USERS}`, {
      body: { rate_limits: [{ per: 'address', limit: 100, window: '1m' }] },
    });
    expect([updated.status, updated.body.rate_limits]).toEqual([200, [{ per: 'address', limit: 100, window: '1m' }]]);
  });

  it('a stored list that cannot be applied refuses the target (503, fail closed), logged once', async () => {
    await storeRecordField(server.keyPrefix, 'proxy_target', USERS, 'rate_limits', [{ per: 'everyone', limit: 1 }]);
    const refused = await waitFor(
      'the target refused',
      () => get(server, USERS),
      (r) => r.status === 503,
    );
    expect(refused.text).toContain('has rate limits that cannot be applied');
    await get(server, USERS);
    const line = `proxy target ${USERS} is refused (503) until its rate limits are set again`;
    await waitFor(
      'the log line',
      () => server.logs,
      (logs) => logs.includes(line),
    );
    expect(
      server.logs.split(`proxy target ${USERS} is refused (503) until its rate limits are set again`),
    ).toHaveLength(2);
    expect((await server.api('DELETE', `/api/v1/proxy/targets/${USERS}/rate-limits`)).status).toBe(200);
    await waitFor(
      'the target served again',
      () => get(server, USERS),
      (r) => r.status === 401,
    );
  });

  it('an MCP rule limit counts only the calls it matches (each call of a batch); the JSON-RPC error names it', async () => {
    const mcp = await Backend.start((req, res) => {
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} })));
    });
    try {
      await protectTarget(server, MCP, mcp.url, { mode: 'forward', required_users: ['*'] }, { endpoint: '/mcp' });
      const alice = tokenFor(server, MCP, '2001', 'client_m');
      const bob = tokenFor(server, MCP, '2002', 'client_m');
      const post = (token: string, body: unknown, id: string) =>
        publicRequest({
          port: server.httpPort,
          host: MCP,
          path: '/mcp',
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify(body),
        });
      const call = (id: number | string, name: string) => ({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name, arguments: {} },
      });
      const list = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
      await setResourcePolicy(
        server,
        MCP,
        '/mcp',
        {
          rules: [
            {
              id: 'echo-calls',
              method: 'tools/call',
              name: 'echo',
              rate_limits: [{ per: 'user', limit: 3, window: '1h' }],
            },
          ],
        },
        // A user of its own calls echo until the rule's limit answers.
        async () => (await post(tokenFor(server, MCP, 'probe', 'client_m'), call('p', 'echo'), 'probe')).status === 429,
      );
      // Lists are not limited; echo calls are, 3 an hour per user.
      expect(await statuses(4, () => post(alice, list(1), 'list'))).toEqual([200, 200, 200, 200]);
      expect(await statuses(3, () => post(alice, call(7, 'echo'), 'echo'))).toEqual([200, 200, 200]);
      expect((await post(alice, call(8, 'other'), 'other')).status).toBe(200);
      const single = await post(alice, call(9, 'echo'), 'mcp-single-refused');
      expect([single.status, single.headers['retry-after'] !== undefined, single.headers['cache-control']]).toEqual([
        429,
        true,
        'no-store',
      ]);
      const retryAfter = Number(single.headers['retry-after']);
      expect(single.json()).toEqual({
        jsonrpc: '2.0',
        id: 9,
        error: {
          code: -32029,
          message: expect.stringContaining('the limit 3/1h per user of MCP rule "echo-calls" is reached'),
          data: { decision: 'rate-limited', scope: 'rule', rule: 'echo-calls', retry_after: retryAfter },
        },
      });

      // A batch of two echo calls and a list costs 2 of bob's 3; the next batch of two is refused whole,
      // one error per request with an id, and consumes nothing: one more echo call still goes through.
      expect((await post(bob, [call('a', 'echo'), list('b'), call('c', 'echo')], 'batch-ok')).status).toBe(200);
      const batch = await post(
        bob,
        [call('d', 'echo'), call('e', 'echo'), { jsonrpc: '2.0', method: 'notifications/x' }],
        'mcp-batch-refused',
      );
      expect(batch.status).toBe(429);
      expect(batch.json<{ id: string; error: { code: number } }[]>().map((e) => [e.id, e.error.code])).toEqual([
        ['d', -32029],
        ['e', -32029],
      ]);
      expect((await post(bob, call('f', 'echo'), 'last-one')).status).toBe(200);
      expect((await post(bob, call('g', 'echo'), 'over')).status).toBe(429);

      const rows = await waitFor(
        'the refused MCP requests in the log',
        async () => (await logs(server, MCP)).body.entries,
        (entries) =>
          ['mcp-single-refused', 'mcp-batch-refused'].every((id) => entries.some((e) => e.request_id === id)),
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      const row = (id: string) => rows.find((e) => e.request_id === id);
      expect([
        row('mcp-single-refused')?.status,
        row('mcp-single-refused')?.decision,
        row('mcp-single-refused')?.mcp_rule,
      ]).toEqual([429, 'rate-limited', 'echo-calls']);
      expect(row('mcp-single-refused')?.mcp_error).toBe(-32029);
      expect(row('echo')?.decision).toBe('allowed');
      const metrics = await scrape(server);
      // The probe's refusal, the single one, the batch and bob's last.
      expect(metrics.value('rate_limited_total', { target: MCP, scope: 'rule', per: 'user' })).toBe(4);
      expect(metrics.value('mcp_requests_total', { target: MCP, method: 'tools/call', decision: 'rate-limited' })).toBe(
        4,
      );
      // The MCP activity (dashboard, GET /api/v1/logs/mcp) counts them under their decision.
      const activity = await waitFor(
        'the refusals in the MCP activity',
        () => server.api<{ decisions: Record<string, number> }>('GET', `/api/v1/logs/mcp?window=1h&hostname=${MCP}`),
        (r) => r.status === 200 && r.body.decisions['rate-limited'] === 4,
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      expect(activity.body.decisions['rate-limited']).toBe(4);
    } finally {
      await mcp.close();
    }
  });

  it('two replicas on one Redis: the sum admitted over both respects the limit', async () => {
    const created = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: SHARED, target_url: backend.url, rate_limits: [{ per: 'address', limit: 20, window: '1h' }] },
    });
    expect(created.status).toBe(201);
    let admitted = 0;
    let refused = 0;
    const count = (status: number) => {
      if (status === 200) admitted++;
      if (status === 429) refused++;
      return status;
    };
    // Until the replica serves the target (each answer meanwhile is counted).
    await waitFor(
      'the replica to serve the target',
      async () => count((await get(replica, SHARED)).status),
      (status) => status !== 404,
      { timeoutMs: 5000, intervalMs: 20 },
    );
    await waitFor(
      'the first replica to serve the target',
      async () => count((await get(server, SHARED)).status),
      (status) => status !== 404,
      { timeoutMs: 5000, intervalMs: 20 },
    );
    // 60 requests, 10 at a time, alternating replicas.
    for (let round = 0; round < 6; round++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => get(i % 2 === 0 ? server : replica, SHARED)),
      );
      for (const r of results) expect([200, 429]).toContain(count(r.status));
    }
    // The GCRA drips one call back every 3 minutes at 20/1h: within a run of seconds, none.
    expect(admitted).toBe(20);
    const refusedBy = async (at: ServerProcess) =>
      (await scrape(at)).value('rate_limited_total', { target: SHARED, scope: 'target', per: 'address' });
    expect((await refusedBy(server)) + (await refusedBy(replica))).toBe(refused);
    expect(refused).toBeGreaterThanOrEqual(40);
  });

  it('two replicas leasing calls ahead (a limit of 100 or more): never more than the limit, at most 1% per replica less', async () => {
    const host = 'leased.limits.test';
    const created = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: host, target_url: backend.url, rate_limits: [{ per: 'address', limit: 300, window: '1h' }] },
    });
    expect(created.status).toBe(201);
    let admitted = 0;
    const count = (status: number) => {
      if (status === 200) admitted++;
      return status;
    };
    for (const at of [replica, server])
      await waitFor(
        'both replicas to serve the target',
        async () => count((await get(at, host)).status),
        (status) => status !== 404,
        { timeoutMs: 5000, intervalMs: 20 },
      );
    // 400 requests, 20 at a time over both replicas (busy enough to lease: up to 3 calls each).
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => get(i % 2 === 0 ? server : replica, host)),
      );
      for (const r of results) expect([200, 429]).toContain(count(r.status));
    }
    // The drip at 300/1h is one call per 12 s: at most one more during the run.
    expect(admitted).toBeLessThanOrEqual(301);
    expect(admitted).toBeGreaterThanOrEqual(300 - 2 * 3);
  });
});
