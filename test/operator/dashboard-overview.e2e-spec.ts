import type { Page } from 'playwright-core';
import { DashboardBrowser } from '../support/dashboard-browser';
import { Backend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { challengePortOf, Pebble } from '../support/pebble';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

const WIDTHS = [1280, 390] as const;

interface Bucket {
  start: string;
  requests: number;
  requests_per_s: number;
  error_rate: number;
  p95_ms: number | null;
}
interface Series {
  hostname?: string;
  requests: number;
  errors: number;
  p95_ms: number | null;
  buckets: Bucket[];
}
interface Timeseries {
  window: string;
  overall: Series;
  hosts: Series[];
}

/**
 * The overview, the grouped navigation, the status badges and "Add an MCP server" in Debian's
 * Chromium against the real built server, with the real Pebble ordering certificates: every page at
 * 1280 and 390 px (screenshots, axe-core without serious or critical violations), the tiles and the
 * charts checked against the API answers the page drew them from, and the one-form flow end to end.
 */
describe('dashboard overview, navigation and the one-form MCP server in Chromium', () => {
  let pebble: Pebble;
  let server: ServerProcess;
  let backend: Backend;
  let browser: DashboardBrowser;
  let page: Page;
  const OPEN = 'open.overview.example.test';
  const DOWN = 'down.overview.example.test';
  const MCP = 'mcp.overview.example.test';

  const heading = (name: string) => browser.heading(name);
  const shot = (name: string) => browser.shot(name);
  const proxied = (host: string, path = '/') => loopbackFetch(`http://${host}:${server.httpPort}${path}`);

  beforeAll(async () => {
    backend = await Backend.start((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    });
    pebble = await Pebble.prepare();
    server = await ServerProcess.start({
      env: { ...pebble.serverEnv, AUTO_CERTIFICATES: 'true', ADMIN_EMAIL: 'certs@example.org' },
    });
    await pebble.start(challengePortOf(server));
    for (const [hostname, target_url] of [
      [OPEN, backend.url],
      [DOWN, 'http://127.0.0.1:1'],
    ])
      expect(
        (await server.api('POST', '/api/v1/proxy/targets', { body: { hostname, target_url, enable_https: false } }))
          .status,
      ).toBe(201);
    // Traffic: five answered requests to one host, two the proxy fails (closed backend port).
    for (let i = 0; i < 5; i++) expect((await proxied(OPEN, `/item/${i}`)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await proxied(DOWN)).status).toBe(502);
    // The request log is written in batches: wait until the API shows all seven.
    const countOf = (series: Timeseries, host: string) => series.hosts.find((h) => h.hostname === host)?.requests;
    await waitFor(
      'the proxied requests in the time series',
      async () => (await server.api<Timeseries>('GET', '/api/v1/logs/timeseries?window=1h')).body,
      (series) => countOf(series, OPEN) === 5 && countOf(series, DOWN) === 2,
    );

    browser = await DashboardBrowser.launch('dashboard-overview-');
    page = browser.page;
    await browser.signIn(server.apiUrl, server.adminToken);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await pebble?.stop();
    await backend?.close();
  });

  it('groups the navigation (Traffic, Security, Operations) and marks the current page', async () => {
    const nav = page.getByRole('navigation', { name: 'Sections' });
    for (const [group, links] of [
      ['Traffic', ['Proxy targets', 'Routes', 'Instances', 'Services']],
      ['Security', ['OAuth clients', 'OAuth sessions', 'Protected resources', 'Rate limits', 'API tokens']],
      ['Operations', ['Certificates', 'Request log', 'MCP activity', 'Workflow', 'Health']],
    ] as const)
      await expect(nav.getByRole('list', { name: group }).getByRole('link').allTextContents()).resolves.toEqual(links);
    await expect(nav.locator('[aria-current=page]').allTextContents()).resolves.toEqual(['Overview']);
    await nav.getByRole('link', { name: 'Certificates' }).click();
    await heading('Certificates');
    await expect(nav.locator('[aria-current=page]').allTextContents()).resolves.toEqual(['Certificates']);
  });

  it('shows tiles counted from the API, each linking to its page', async () => {
    await page.goto(`${server.apiUrl}/#/overview`);
    await heading('Overview');
    const tile = (id: string) => page.locator(`[data-tile=${id}]`);
    await tile('targets').waitFor();
    await expect(tile('targets').textContent()).resolves.toBe('Proxy targets0 protected2 open0 disabled');
    await expect(tile('targets').getAttribute('href')).resolves.toBe('#/proxies');
    await expect(tile('backends').textContent()).resolves.toBe(`Backends failing now1 failing: ${DOWN}`);
    // The server's own certificates (AUTH_HOSTNAME...), ordered from Pebble at start, are counted too.
    const certs = (await server.api<{ expires_at: string | null }[]>('GET', '/api/v1/certificates')).body;
    const valid = certs.filter((c) => c.expires_at && Date.parse(c.expires_at) > Date.now() + 14 * 86_400_000);
    await expect(tile('certificates').textContent()).resolves.toBe(
      `Certificates${valid.length} valid0 expiring within 14 days${certs.length - valid.length} failed`,
    );
    await expect(tile('oauth').textContent()).resolves.toBe('OAuth0 active sessions0 sign-ins in 24 h0 clients');
    await expect(tile('dead-letters').textContent()).resolves.toBe('Workflow dead letters0 dead letters');
    await expect(tile('redis').textContent()).resolves.toMatch(/^Redis and replicasup Redis \([\d.]+ ms\)1 replica$/);
    await tile('backends').click();
    await heading('Request log');
  });

  it('draws the charts from the time series the API answered, overall and per host', async () => {
    await page.goto(`${server.apiUrl}/#/health`);
    await heading('Health');
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/logs/timeseries?window=1h'));
    await page.goto(`${server.apiUrl}/#/overview`);
    const series = (await (await answered).json()) as Timeseries;
    // The API counted exactly the traffic sent (the dashboard's own API calls are not proxied traffic;
    // Pebble's challenge requests for the server's own hostnames are).
    const ours = series.hosts.filter((h) => h.hostname!.endsWith('.overview.example.test'));
    expect(ours.map((h) => [h.hostname, h.requests, h.errors])).toEqual([
      [OPEN, 5, 0],
      [DOWN, 2, 2],
    ]);
    const sum = (key: 'requests' | 'errors') => series.hosts.reduce((n, h) => n + h[key], 0);
    expect(series.overall).toMatchObject({ requests: sum('requests'), errors: sum('errors') });
    const values = (id: string) => page.locator(`figure[data-chart=${id}]`).getAttribute('data-values');
    const text = (v: number | null) => (v === null ? '' : String(v));
    await page.locator('figure[data-chart=requests]').waitFor();
    await expect(values('requests')).resolves.toBe(series.overall.buckets.map((b) => text(b.requests_per_s)).join(','));
    await expect(values('errors')).resolves.toBe(
      series.overall.buckets.map((b) => text(b.requests ? b.error_rate : null)).join(','),
    );
    await expect(values('p95')).resolves.toBe(series.overall.buckets.map((b) => text(b.p95_ms)).join(','));
    const svgPath = await page.locator('figure[data-chart=requests] path').getAttribute('d');
    expect(svgPath).toMatch(/^M/);

    // One host's series from the same answer.
    await page.getByLabel('Show').selectOption(DOWN);
    const down = series.hosts.find((h) => h.hostname === DOWN)!;
    await page.locator(`[data-series="${DOWN}"]`).waitFor();
    await expect(values('errors')).resolves.toBe(
      down.buckets.map((b) => text(b.requests ? b.error_rate : null)).join(','),
    );
    await expect(
      page
        .getByRole('table')
        .getByRole('row', { name: new RegExp(DOWN) })
        .textContent(),
    ).resolves.toBe(`${DOWN}22100%${Math.round(down.p95_ms!)} ms`);
    await shot('overview-host');

    // The last day: quarter-hour buckets.
    const day = page.waitForResponse((r) => r.url().endsWith('/api/v1/logs/timeseries?window=24h'));
    await page.getByRole('button', { name: 'Last day' }).click();
    const daySeries = (await (await day).json()) as Timeseries;
    expect(daySeries.overall.buckets).toHaveLength(96);
    await waitFor(
      'the day chart',
      () => values('requests'),
      (v) => v === daySeries.overall.buckets.map((b) => text(b.requests_per_s)).join(','),
    );
  });

  it('adds an MCP server in one form: target, certificate (pending → ready), protection, resource, client configuration', async () => {
    await page.goto(`${server.apiUrl}/#/add-mcp-server`);
    await heading('Add an MCP server');
    await page.getByLabel('Hostname', { exact: true }).fill(MCP);
    await page.getByLabel('Backend URL', { exact: true }).fill(backend.url);
    await page.getByLabel('Endpoint path (optional)', { exact: true }).fill('/mcp');
    await page.getByLabel('GitHub users who may sign in (optional)', { exact: true }).fill('alice, bob');
    await page.getByLabel('Scopes (optional)', { exact: true }).fill('mcp:read, mcp:tools');
    await page.getByRole('button', { name: 'Add MCP server' }).click();
    const step = (label: string) => page.locator(`[data-step="${label}"]`);
    await page.getByText(`Added MCP server ${MCP}.`).waitFor({ timeout: 120_000 });
    await expect(step('Proxy target').textContent()).resolves.toBe('done Proxy target');
    await expect(step('OAuth protection').textContent()).resolves.toBe('done OAuth protection');
    await expect(step('Protected resource').textContent()).resolves.toBe('done Protected resource');
    await expect(step('Certificate').textContent()).resolves.toBe('done Certificate: ready');

    // Created for real, as the form said.
    const target = (
      await server.api<{ protected: boolean; lifecycle: { state: string } }>('GET', `/api/v1/proxy/targets/${MCP}`)
    ).body;
    expect(target).toMatchObject({ protected: true, lifecycle: { state: 'ready' } });
    expect((await server.api('GET', `/api/v1/proxy/targets/${MCP}/auth`)).body).toMatchObject({
      enabled: true,
      required_users: ['alice', 'bob'],
    });
    const [resource] = (
      await server.api<{ id: string; uri: string; scopes: string[] }[]>('GET', `/api/v1/proxy/targets/${MCP}/resource`)
    ).body;
    expect(resource).toMatchObject({
      uri: `https://${MCP}:${server.httpsPort}/mcp`,
      scopes: ['mcp:read', 'mcp:tools'],
    });

    await expect(page.getByTestId('client-url').textContent()).resolves.toBe(resource.uri);
    await expect(page.getByTestId('client-claude').textContent()).resolves.toBe(
      `claude mcp add --transport http mcp ${resource.uri}`,
    );
    expect(JSON.parse((await page.getByTestId('client-mcp-remote').textContent())!)).toEqual({
      mcpServers: { mcp: { command: 'npx', args: ['mcp-remote', resource.uri] } },
    });
    // The validation shown is the API's.
    const validation = (
      await server.api<{ valid: boolean; reason: string | null }>('POST', `/api/v1/resources/${resource.id}/validate`)
    ).body;
    await expect(page.getByTestId('validation-reason').textContent()).resolves.toBe(
      validation.valid ? `${resource.uri} is valid.` : `${resource.uri} is not valid: ${validation.reason}`,
    );
    await shot('add-mcp-server-done');
  });

  it('rolls back what the form created when a later step fails, and says so', async () => {
    await page.goto(`${server.apiUrl}/#/add-mcp-server`);
    await heading('Add an MCP server');
    await page.getByLabel('Hostname', { exact: true }).fill('rollback.overview.example.test');
    await page.getByLabel('Backend URL', { exact: true }).fill(backend.url);
    await page.getByLabel('Endpoint path (optional)', { exact: true }).fill('no-slash');
    await page.getByRole('button', { name: 'Add MCP server' }).click();
    const alert = page.locator('form[aria-label="MCP server"] [role=alert]');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(
      /^Protected resource failed: endpoint .+ Rolled back: deleted proxy target rollback\.overview\.example\.test( and its certificate)?\.$/,
    );
    await expect(page.locator('[data-step="Proxy target"]').textContent()).resolves.toBe('undone Proxy target');
    expect((await server.api('GET', '/api/v1/proxy/targets/rollback.overview.example.test')).status).toBe(404);
    await shot('add-mcp-server-rolled-back');
  });

  it('shows status badges in the proxy target list: certificate, protected, backend, last error', async () => {
    await page.goto(`${server.apiUrl}/#/proxies`);
    await heading('Proxy targets');
    const badges = async (host: string) =>
      page
        .getByRole('row', { name: new RegExp(`^${host.replace(/\./g, '\\.')}`) })
        .locator('[data-badge]')
        .allTextContents();
    await page.getByRole('row', { name: new RegExp(MCP) }).waitFor();
    const target = (await server.api<{ cert_name: string }>('GET', `/api/v1/proxy/targets/${MCP}`)).body;
    const cert = (
      await server.api<{ cert_name: string; expires_at: string }[]>('GET', '/api/v1/certificates')
    ).body.find((c) => c.cert_name === target.cert_name)!;
    // The validation reached the backend through the proxy: a recent request.
    await expect(badges(MCP)).resolves.toEqual([
      `valid until ${cert.expires_at.slice(0, 10)}`,
      'protected',
      'backend reachable',
    ]);
    await expect(badges(OPEN)).resolves.toEqual(['HTTP only', 'open', 'backend reachable']);
    const [down] = await page
      .getByRole('row', { name: new RegExp(`^${DOWN.replace(/\./g, '\\.')}`) })
      .locator('[data-badge]')
      .allTextContents()
      .then((all) => [all]);
    expect(down.slice(0, 3)).toEqual(['HTTP only', 'open', 'backend unreachable']);
    expect(down[3]).toMatch(/^last error \d{4}-\d\d-\d\d \d\d:\d\d: /);
  });

  it('shows another token its own hosts only, without the admin-only tiles', async () => {
    const viewer = (await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'viewer' } })).body
      .token;
    await page.goto(`${server.apiUrl}/#/overview`);
    // The admin's overview finishes loading first: a tile still loading after the switch would ask with the viewer's token.
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token', { exact: true }).fill(viewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview');
    await page.locator('[data-tile=targets]').waitFor();
    await expect(
      page.locator('[data-tile]').evaluateAll((tiles) => tiles.map((t) => t.getAttribute('data-tile'))),
    ).resolves.toEqual(['targets', 'certificates', 'backends', 'redis']);
    await expect(page.locator('[data-tile=targets]').textContent()).resolves.toBe(
      'Proxy targets0 protected0 open0 disabled',
    );
    await expect(page.locator('[data-tile=backends]').textContent()).resolves.toBe('Backends failing now0 failing');
    await expect(page.locator('[data-tile=redis]').textContent()).resolves.toMatch(
      /^Redis and replicasup Redis \([\d.]+ ms\)$/,
    );
    await page.getByText('No proxied requests in this window.').waitFor();
    await shot('overview-non-admin');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token', { exact: true }).fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview');
  });

  it('renders every page at 1280 and 390 px without serious accessibility violations', async () => {
    const ids = await page.evaluate(() =>
      [...document.querySelectorAll('#nav a')].map((a) => a.getAttribute('href')!.slice(2)),
    );
    expect(ids.length).toBeGreaterThanOrEqual(14);
    const problems: string[] = [];
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const id of ids) {
        await page.goto(`${server.apiUrl}/#/${id}`);
        await page.locator('main h1').waitFor();
        // Wait for the page's own data (tables, tiles, charts) before judging it.
        await page.waitForFunction(() => !document.querySelector('[aria-busy=true]'));
        await shot(`page-${id}-${width}`);
        for (const v of await browser.seriousViolations()) problems.push(`#/${id} at ${width} px: ${v}`);
        // Nothing wider than the screen (tables scroll inside themselves on phones).
        const overflow = await browser.overflow();
        if (overflow > 0) problems.push(`#/${id} at ${width} px: ${overflow} px wider than the window`);
      }
    }
    expect(problems).toEqual([]);
  }, 300_000);

  it('collapses the navigation behind a Menu button at 390 px', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${server.apiUrl}/#/overview`);
    await heading('Overview');
    const menu = page.getByRole('button', { name: 'Menu' });
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(nav.isVisible()).resolves.toBe(false);
    await menu.click();
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('true');
    await shot('menu-open-390');
    await nav.getByRole('link', { name: 'Request log' }).click();
    await heading('Request log');
    await expect(nav.isVisible()).resolves.toBe(false);
    await page.setViewportSize({ width: 1280, height: 900 });
    await expect(menu.isVisible()).resolves.toBe(false);
    await expect(nav.isVisible()).resolves.toBe(true);
    // No script error or CSP violation; only deliberate API error answers (the rollback's 400, 404 checks).
    expect(browser.consoleErrors.filter((e) => !/status of 40[04] /.test(e))).toEqual([]);
  });
});
