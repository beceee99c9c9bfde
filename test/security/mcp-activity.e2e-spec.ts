import { sendKnownTraffic, startGovernedTarget, type GovernedTarget } from '../support/mcp-traffic';
import { waitFor } from '../support/wait';

const GOV = 'activity.mcp.test';

interface Counts {
  calls: number;
  decisions: Record<string, number>;
}
interface Activity extends Counts {
  window: string;
  bucket_seconds: number;
  truncated: boolean;
  buckets: (Counts & { start: string })[];
  tools: (Counts & { name: string })[];
  users: (Counts & { user: string | null })[];
  denied_rules: (Counts & { hostname: string; rule: string })[];
}

const d = (allowed: number, scope: number, identity: number) => ({
  allowed,
  'denied-scope': scope,
  'denied-identity': identity,
  'rate-limited': 0,
});

/**
 * GET /api/v1/logs/mcp (issue 20 item 4): the MCP governance audit counted from the request log,
 * checked with exact counts against known traffic through a governed target of the real server;
 * other tokens see their own hosts only.
 */
describe('MCP activity from the governance audit', () => {
  let target: GovernedTarget;
  const activity = (query: string, token?: string) =>
    target.server.api<Activity>('GET', `/api/v1/logs/mcp${query}`, token === undefined ? {} : { token });

  beforeAll(async () => {
    target = await startGovernedTarget(GOV);
    await sendKnownTraffic(target);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('counts calls per bucket by decision, per tool, per user and per denying rule, exactly', async () => {
    const { allowed: pa, denied: p } = target.probes;
    const probes = pa + p;
    const res = await waitFor(
      'the known traffic in the MCP activity',
      () => activity(`?window=1h&hostname=${GOV}`),
      (r) => r.status === 200 && r.body.calls === 11 + probes,
    );
    const body = res.body;
    expect([body.window, body.bucket_seconds, body.buckets.length, body.truncated]).toEqual(['1h', 60, 60, false]);
    expect(body.decisions).toEqual(d(5 + pa, 3, 2 + p));
    // The buckets add up to the window (the traffic may straddle a minute).
    const sum = (key: string) => body.buckets.reduce((n, b) => n + b.decisions[key], 0);
    expect([body.buckets.reduce((n, b) => n + b.calls, 0), sum('allowed'), sum('denied-scope')]).toEqual([
      11 + probes,
      5 + pa,
      3,
    ]);
    expect(body.tools.map((t) => [t.name, t.calls, t.decisions])).toEqual(
      [
        ['echo', 4, d(3, 0, 0)],
        ['probe', probes, d(pa, 0, p)],
        ['admin', 2, d(1, 0, 1)],
        ['write_b', 2, d(0, 2, 0)],
        ['shell', 1, d(0, 0, 1)],
        ['write_a', 1, d(1, 0, 0)],
      ].sort((a, b) => (b[1] as number) - (a[1] as number) || String(a[0]).localeCompare(String(b[0]))),
    );
    expect(body.users.map((u) => [u.user, u.calls, u.decisions])).toEqual([
      ['alice', 8 + probes, d(3 + pa, 2, 2 + p)],
      ['bob', 2, d(2, 0, 0)],
      // The proxy's own 403 (the token lacks mcp:read) is refused before the caller is recorded.
      [null, 1, d(0, 1, 0)],
    ]);
    expect(body.denied_rules.map((r) => [r.hostname, r.rule, r.calls, r.decisions])).toEqual(
      [
        [GOV, 'probe', p, d(0, 0, p)],
        [GOV, 'writes', 2, d(0, 2, 0)],
        [GOV, 'bob-admin', 1, d(0, 0, 1)],
        [GOV, 'no-shell', 1, d(0, 0, 1)],
      ].sort((a, b) => (b[2] as number) - (a[2] as number) || `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`)),
    );
    // 24h: the same counts in quarter-hour buckets.
    const day = await activity(`?window=24h&hostname=${GOV}`);
    expect([day.body.bucket_seconds, day.body.buckets.length, day.body.calls]).toEqual([900, 96, 11 + probes]);
  });

  it('shows a non-admin token its own hosts only, and refuses bad queries and no token', async () => {
    const created = await target.server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'dora' } });
    expect(created.status).toBe(201);
    const dora = created.body.token;
    const own = await target.server.api('POST', '/api/v1/proxy/targets', {
      token: dora,
      body: { hostname: 'dora.mcp.test', target_url: target.backend.url, enable_https: false },
    });
    expect(own.status).toBe(201);
    const mine = await activity('?window=1h', dora);
    expect([mine.status, mine.body.calls, mine.body.tools, mine.body.users]).toEqual([200, 0, [], []]);
    const foreign = await activity(`?hostname=${GOV}`, dora);
    expect([foreign.status, foreign.text]).toEqual([403, expect.stringContaining('is not one of your proxy targets')]);
    expect((await activity('?window=7d')).status).toBe(400);
    expect((await activity('?window=1h', null as unknown as string)).status).toBe(401);
  });
});
