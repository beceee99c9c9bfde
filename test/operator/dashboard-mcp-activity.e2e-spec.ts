import { DashboardBrowser } from '../support/dashboard-browser';
import { mcpCall, sendKnownTraffic, startGovernedTarget, type GovernedTarget } from '../support/mcp-traffic';
import { waitFor } from '../support/wait';

const GOV = 'activity.dashboard.test';
const WIDTHS = [1280, 390] as const;

interface Counts {
  calls: number;
  decisions: Record<string, number>;
}
interface Activity extends Counts {
  buckets: Counts[];
  tools: (Counts & { name: string })[];
  users: (Counts & { user: string | null })[];
  denied_rules: (Counts & { hostname: string; rule: string })[];
}

/**
 * The dashboard's "MCP activity" page in Chromium against the real built server, with known MCP
 * traffic through a governed target: the charts' values and the tables checked against the API
 * answer they were drawn from, a count's link opening the request log filtered to its requests,
 * at 1280 and 390 px (screenshots, axe-core without serious or critical violations, no sideways
 * scrolling).
 */
describe('dashboard MCP activity in Chromium', () => {
  let target: GovernedTarget;
  let browser: DashboardBrowser;
  /** bob's calls of the tool `limited` that were allowed before the one the target's rate limit refused. */
  let limitedAllowed = 0;

  /**
   * A rate limit on the target, 1 call an hour per user, then bob's calls of `limited` until one is
   * refused: allowed until every replica serves the limit, then once more (a fresh counter), then 429.
   */
  async function rateLimitedCall(): Promise<void> {
    const put = await target.server.api('PUT', `/api/v1/proxy/targets/${GOV}/rate-limits`, {
      body: [{ per: 'user', limit: 1, window: '1h' }],
    });
    expect(put.status).toBe(200);
    const call = JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'limited' } });
    await waitFor(
      'a call refused by the rate limit',
      () => mcpCall(target, call, target.tokens.bob),
      (res) => {
        if (res.status === 200) limitedAllowed++;
        return res.status === 429;
      },
    );
  }

  beforeAll(async () => {
    target = await startGovernedTarget(GOV);
    await sendKnownTraffic(target);
    await rateLimitedCall();
    const { allowed, denied } = target.probes;
    await waitFor(
      'the known traffic in the MCP activity',
      async () => (await target.server.api<Activity>('GET', '/api/v1/logs/mcp?window=1h')).body,
      (a) => a.calls === 11 + allowed + denied + limitedAllowed + 1,
    );
    browser = await DashboardBrowser.launch('dashboard-mcp-activity-');
    await browser.signIn(target.server.apiUrl, target.server.adminToken);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await target?.stop();
  });

  it('draws calls and each decision over time, and the tables, from the API answer', async () => {
    const { page } = browser;
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/logs/mcp?window=1h'));
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'MCP activity' }).click();
    await browser.heading('MCP activity');
    const activity = (await (await answered).json()) as Activity;
    const values = (id: string) => page.locator(`figure[data-chart=${id}]`).getAttribute('data-values');
    await page.locator('figure[data-chart=calls]').waitFor();
    await expect(values('calls')).resolves.toBe(activity.buckets.map((b) => b.calls).join(','));
    for (const d of ['allowed', 'denied-scope', 'denied-identity', 'rate-limited'])
      await expect(values(d)).resolves.toBe(activity.buckets.map((b) => b.decisions[d]).join(','));
    expect(activity.decisions['rate-limited']).toBe(1);

    const row = (table: string, name: string) =>
      page.locator(`table[data-table=${table}] tr`, { has: page.getByRole('rowheader', { name, exact: true }) });
    const cells = (table: string, name: string) => row(table, name).locator('th, td').allTextContents();
    const write = activity.tools.find((t) => t.name === 'write_b')!;
    expect(write.decisions).toEqual({ allowed: 0, 'denied-scope': 2, 'denied-identity': 0, 'rate-limited': 0 });
    await expect(cells('tools', 'write_b')).resolves.toEqual(['write_b', '2', '0', '2', '0', '0']);
    // The rate-limited column from real data: bob's calls of `limited`, the last refused by the target's limit.
    const n = limitedAllowed + 1;
    await expect(cells('tools', 'limited')).resolves.toEqual(['limited', `${n}`, `${n - 1}`, '0', '0', '1']);
    await expect(cells('users', 'bob')).resolves.toEqual(['bob', `${2 + n}`, `${1 + n}`, '0', '0', '1']);
    // Refused before the caller was known: counted, but no user to link to.
    await expect(cells('users', '(not identified)')).resolves.toEqual(['(not identified)', '1', '0', '1', '0', '0']);
    await expect(row('users', '(not identified)').locator('a').count()).resolves.toBe(0);
    await expect(cells('rules', 'no-shell')).resolves.toEqual(['no-shell', GOV, '1', '0', '0', '1', '0']);
    await browser.shot('mcp-activity');

    // A count opens the request log filtered to exactly those requests.
    await row('tools', 'write_b').locator('[data-decision=denied-scope] a').click();
    await browser.heading('Request log');
    expect(page.url()).toMatch(/#\/logs\?mcp_name=write_b&hours=1&decision=denied-scope$/);
    await expect(page.getByLabel('Decision', { exact: true }).inputValue()).resolves.toBe('denied-scope');
    const logRows = page.locator('table.log-table tbody tr');
    await waitFor(
      'the two denied calls listed',
      () => logRows.count(),
      (n) => n === 2,
    );
    for (const text of await logRows.allTextContents()) expect(text).toContain('denied-scope (writes)');
    await browser.shot('mcp-activity-linked-log');

    // The last day: quarter-hour buckets, the same totals.
    await page.goBack();
    await browser.heading('MCP activity');
    const day = page.waitForResponse((r) => r.url().endsWith('/api/v1/logs/mcp?window=24h'));
    await page.getByRole('button', { name: 'Last day' }).click();
    const dayActivity = (await (await day).json()) as Activity;
    expect([dayActivity.buckets.length, dayActivity.calls]).toEqual([96, activity.calls]);
    await waitFor(
      'the day chart',
      () => values('calls'),
      (v) => v === dayActivity.buckets.map((b) => b.calls).join(','),
    );
    expect(browser.consoleErrors).toEqual([]);
  });

  it('renders at 1280 and 390 px without serious accessibility violations or sideways scrolling', async () => {
    const problems: string[] = [];
    for (const width of WIDTHS) {
      await browser.page.setViewportSize({ width, height: 900 });
      await browser.page.goto(`${target.server.apiUrl}/#/mcp-activity`);
      await browser.heading('MCP activity');
      await browser.page.locator('table[data-table=rules]').waitFor();
      await browser.shot(`page-mcp-activity-${width}`);
      for (const v of await browser.seriousViolations()) problems.push(`at ${width} px: ${v}`);
      const overflow = await browser.overflow();
      if (overflow > 0) problems.push(`at ${width} px: ${overflow} px wider than the window`);
    }
    expect(problems).toEqual([]);
  });
});
