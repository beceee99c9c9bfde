import { createHash, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { DashboardBrowser } from '../support/dashboard-browser';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { testRedisClient } from '../support/test-redis';
import { waitFor } from '../support/wait';

/**
 * The dashboard's resource pages in Debian's Chromium against the real built server: proxy targets
 * (create, list, the API's validation message, edit incl. route settings, delete), routes by
 * priority, certificates, instances, services, OAuth sessions (one made by the real OAuth flow
 * through the GitHub stand-in, then revoked), the request log with filters; a screenshot of each.
 */
describe('dashboard resource pages in Chromium', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let browser: DashboardBrowser;
  let page: Page;

  /**
   * A full authorization-code flow for `user` (GitHub stand-in sign-in, consent, token). No
   * `resource`: which resources may be asked for depends on the protected-resource registry.
   */
  async function oauthLogin(user: string): Promise<{ clientId: string; accessToken: string }> {
    const redirect = 'http://127.0.0.1:47011/callback';
    const reg = await fetch(`${server.apiUrl}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Dashboard test client',
        redirect_uris: [redirect],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(reg.status).toBe(201);
    const clientId = ((await reg.json()) as { client_id: string }).client_id;
    github.signIn(user);
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${server.apiUrl}/authorize`);
    const params = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirect,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'st',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const flow = await new OAuthBrowser().authorize(url, redirect);
    const code = flow.callback?.searchParams.get('code');
    if (!code) throw new Error(`no code: ${JSON.stringify(flow)}`);
    const token = await fetch(`${server.apiUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        code_verifier: verifier,
        redirect_uri: redirect,
      }).toString(),
    });
    expect(token.status).toBe(200);
    return { clientId, accessToken: ((await token.json()) as { access_token: string }).access_token };
  }

  const heading = (name: string) => browser.heading(name);
  const go = async (link: string) => {
    await page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
    await heading(link);
  };
  const shot = (name: string) => browser.shot(name);
  const acceptNextDialog = () => page.once('dialog', (dialog) => void dialog.accept());

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await ServerProcess.prepare();
    Object.assign(server.env, { OAUTH_ISSUER: server.apiUrl, OAUTH_ALLOWED_GITHUB_USERS: 'alice', ...github.env });
    await server.launch();
    browser = await DashboardBrowser.launch('dashboard-resources-');
    page = browser.page;
    await browser.signIn(server.apiUrl, server.adminToken);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await github?.stop();
  });

  it('creates a proxy target, lists it, and shows the API message for a bad hostname', async () => {
    await go('Proxy targets');
    await page.getByText('No proxy targets yet.').waitFor();
    await page.getByLabel('Hostname', { exact: true }).fill('app.example.test');
    await page.getByLabel('Backend URL', { exact: true }).fill('http://127.0.0.1:3999');
    await page.getByLabel('Serve on HTTP', { exact: true }).uncheck();
    await page.getByText('More settings').click();
    await page.getByLabel('Request headers to add (optional)', { exact: true }).fill('{"X-Env":"test"}');
    await page.getByRole('button', { name: 'Create proxy target' }).click();
    await page.getByText('Created proxy target app.example.test.').waitFor();
    const row = page.getByRole('row', { name: /app\.example\.test/ });
    await row.waitFor();
    await expect(row.getByRole('cell').nth(0).textContent()).resolves.toBe('http://127.0.0.1:3999');
    await expect(row.getByRole('cell').nth(2).textContent()).resolves.toBe('no / yes');
    // Created for real, with exactly what the form said.
    const stored = await server.api<Record<string, unknown>>('GET', '/api/v1/proxy/targets/app.example.test');
    expect(stored.body).toMatchObject({
      target_url: 'http://127.0.0.1:3999',
      enable_http: false,
      enable_https: true,
      custom_headers: { 'X-Env': 'test' },
      route_mode: 'all',
    });
    await shot('proxy-targets');

    await page.getByLabel('Hostname', { exact: true }).fill('bad host');
    await page.getByLabel('Backend URL', { exact: true }).fill('http://127.0.0.1:3999');
    await page.getByRole('button', { name: 'Create proxy target' }).click();
    const alert = page.locator('form[aria-label="Create proxy target"] [role=alert]');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe(
      'hostname "bad host" is not a DNS name: give a name such as api.example.com, without scheme, port or path',
    );
    await expect(page.getByLabel('Hostname', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    await shot('proxy-targets-validation-error');

    // A JSON field that is not JSON is caught before sending, in the same place.
    await page.getByLabel('Hostname', { exact: true }).fill('two.example.test');
    await page.getByLabel('Request headers to add (optional)', { exact: true }).fill('{not json');
    await page.getByRole('button', { name: 'Create proxy target' }).click();
    await expect(alert.textContent()).resolves.toBe('custom_headers must be JSON, e.g. {"X-Header": "value"}');
    expect((await server.api('GET', '/api/v1/proxy/targets/two.example.test')).status).toBe(404);
  });

  it('lists routes by priority and edits a proxy target, including its route settings', async () => {
    const low = await server.api<{ route_id: string }>('POST', '/api/v1/routes', {
      body: { path_pattern: '/low/', target_type: 'url', target_value: 'http://127.0.0.1:4001', priority: 10 },
    });
    const high = await server.api<{ route_id: string }>('POST', '/api/v1/routes', {
      body: { path_pattern: '/high/', target_type: 'port', target_value: '4002', priority: 900, description: 'first' },
    });
    expect([low.status, high.status]).toEqual([201, 201]);
    await go('Routes');
    await page.getByLabel('Path pattern', { exact: true }).fill('/mid/');
    await page.getByLabel('Target', { exact: true }).fill('http://127.0.0.1:4003');
    await page.getByLabel('Target type', { exact: true }).selectOption('url');
    await page.getByLabel('Priority (optional)', { exact: true }).fill('500');
    await page.getByRole('button', { name: 'Create route' }).click();
    await page.getByRole('row', { name: /\/mid\// }).waitFor();
    const paths = await page.locator('table tbody tr td:nth-child(2)').allTextContents();
    expect(paths).toEqual(['/high/', '/mid/', '/low/']);
    await shot('routes');

    await go('Proxy targets');
    await page.getByRole('button', { name: 'Edit proxy target app.example.test' }).click();
    const editor = page.getByRole('region', { name: 'Edit proxy target app.example.test' });
    await editor.waitFor();
    await expect(editor.getByLabel('Serve on HTTP', { exact: true }).isChecked()).resolves.toBe(false);
    await editor.getByLabel('Backend URL (optional)', { exact: true }).fill('http://127.0.0.1:4000');
    await editor.getByLabel('Serve on HTTP', { exact: true }).check();
    await shot('proxy-target-edit');
    await editor.getByRole('form', { name: 'Backend and certificate' }).getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved proxy target app.example.test: backend and certificate.').waitFor();
    expect((await server.api('GET', '/api/v1/proxy/targets/app.example.test')).body).toMatchObject({
      target_url: 'http://127.0.0.1:4000',
      enable_http: true,
      custom_headers: { 'X-Env': 'test' },
    });

    await page.getByRole('button', { name: 'Edit proxy target app.example.test' }).click();
    const routes = page.getByRole('form', { name: 'Route settings' });
    await routes.getByLabel('Route mode', { exact: true }).selectOption('selective');
    await routes.getByLabel('Enabled routes (optional)', { exact: true }).fill(high.body.route_id);
    await routes.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved proxy target app.example.test: route settings.').waitFor();
    expect((await server.api('GET', '/api/v1/proxy/targets/app.example.test/routes')).body).toEqual({
      route_mode: 'selective',
      enabled_routes: [high.body.route_id],
      disabled_routes: [],
    });
    await expect(
      page
        .getByRole('row', { name: /app\.example\.test/ })
        .getByRole('cell')
        .nth(4)
        .textContent(),
    ).resolves.toBe(`selective: ${high.body.route_id}`);

    // Opened again, the route settings are read from GET .../routes.
    await page.getByRole('button', { name: 'Edit proxy target app.example.test' }).click();
    await expect(
      page.getByRole('form', { name: 'Route settings' }).getByLabel('Route mode', { exact: true }).inputValue(),
    ).resolves.toBe('selective');
    await expect(
      page
        .getByRole('form', { name: 'Route settings' })
        .getByLabel('Enabled routes (optional)', { exact: true })
        .inputValue(),
    ).resolves.toBe(high.body.route_id);

    // An API refusal in the edit form shows there, naming the field.
    await page
      .getByRole('form', { name: 'Backend and certificate' })
      .getByLabel('Connect timeout (seconds) (optional)', { exact: true })
      .fill('0');
    await page.getByRole('form', { name: 'Backend and certificate' }).getByRole('button', { name: 'Save' }).click();
    const editAlert = page.getByRole('form', { name: 'Backend and certificate' }).getByRole('alert');
    await editAlert.waitFor();
    await expect(editAlert.textContent()).resolves.toMatch(/^connect_timeout /);
    await page.getByRole('form', { name: 'Backend and certificate' }).getByRole('button', { name: 'Cancel' }).click();
  });

  it('shows certificates with status and error, instances and services', async () => {
    // AUTO_CERTIFICATES is off and the ACME URL is a closed port: the order fails, visibly.
    await go('Certificates');
    await page.getByLabel('Domain', { exact: true }).fill('cert.example.test');
    await page.getByLabel('ACME directory (optional)', { exact: true }).fill('https://127.0.0.1:9/directory');
    await page.getByLabel('ACME account e-mail (optional)', { exact: true }).fill('ops@example.test');
    await page.getByRole('button', { name: 'Create certificate' }).click();
    await page.getByText('Created certificate proxy-cert-example-test.').waitFor();
    expect(
      (await server.api<{ status: string }>('GET', '/api/v1/certificates/proxy-cert-example-test/status?wait=10')).body
        .status,
    ).toBe('failed');
    await page.getByRole('button', { name: 'Renew certificate proxy-cert-example-test', exact: true }).waitFor();
    await go('Health');
    await go('Certificates');
    const row = page.getByRole('row', { name: /proxy-cert-example-test/ });
    await expect(row.getByRole('cell').nth(1).textContent()).resolves.toBe('failed');
    await expect(row.getByRole('cell').nth(3).textContent()).resolves.toMatch(/could not reach the ACME server/);
    await shot('certificates');
    acceptNextDialog();
    await page.getByRole('button', { name: 'Delete certificate proxy-cert-example-test' }).click();
    await page.getByText('No certificates yet.').waitFor();

    await go('Instances');
    await expect(page.getByRole('button', { name: 'Delete instance api' }).count()).resolves.toBe(0);
    await page.getByLabel('Name', { exact: true }).fill('backend');
    await page.getByLabel('URL', { exact: true }).fill('http://127.0.0.1:4100');
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByRole('row', { name: /backend/ }).waitFor();
    expect((await server.api('GET', '/api/v1/instances/backend')).body).toMatchObject({
      target_url: 'http://127.0.0.1:4100',
    });
    await shot('instances');

    await go('Services');
    await page.getByText('No services yet.').waitFor();
    await shot('services');
  });

  it('revokes an OAuth session made by the real OAuth flow', async () => {
    const { clientId } = await oauthLogin('alice');
    await go('OAuth clients');
    await page.getByRole('row', { name: new RegExp(clientId) }).waitFor();
    await shot('oauth-clients');

    await go('OAuth sessions');
    const row = page.getByRole('row', { name: new RegExp(`alice.*${clientId}`) });
    await row.waitFor();
    await expect(row.getByRole('cell').nth(0).textContent()).resolves.toBe(clientId);
    await shot('oauth-sessions');
    acceptNextDialog();
    await page.getByRole('button', { name: `Revoke session of alice for ${clientId}` }).click();
    await page.getByText(`Revoke: session of alice for ${clientId} done.`).waitFor();
    await page.getByText('No oauth sessions yet.').waitFor();
    expect((await server.api('GET', '/api/v1/oauth/sessions?user=alice')).body).toEqual([]);
  });

  it('filters the request log', async () => {
    await server.api('GET', '/api/v1/proxy/targets/no-such.example.test');
    // The log is written in batches (every 100 ms): wait until the entry is there.
    await waitFor(
      'the 404 in the request log (value: entries logged)',
      async () =>
        (await server.api<{ total: number }>('GET', '/api/v1/logs?path=/api/v1/proxy/targets/no-such')).body.total,
      (total) => total > 0,
      { timeoutMs: 5000, intervalMs: 100 },
    );
    await go('Request log');
    await page.getByLabel('Status (optional)', { exact: true }).fill('404');
    await page.getByLabel('Path prefix (optional)', { exact: true }).fill('/api/v1/proxy/targets/no-such');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/^1 of 1 requests/).waitFor();
    const cells = await page.locator('table.log-table tbody tr').first().locator('td').allTextContents();
    expect(cells.slice(3, 6)).toEqual(['GET', '/api/v1/proxy/targets/no-such.example.test', '404']);
    await shot('request-log');

    await page.getByLabel('Status (optional)', { exact: true }).fill('nonsense');
    await page.getByRole('button', { name: 'Search' }).click();
    const alert = page.locator('form[aria-label="Filter requests"] [role=alert]');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/^status /);
  });

  it('workflow page: recent events include the proxy target created above; no dead letters', async () => {
    await go('Workflow');
    const section = page.getByRole('region', { name: 'Recent events' });
    const row = section.getByRole('row', { name: /proxy\.created/ });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(JSON.parse(cells[2])).toMatchObject({ hostname: 'app.example.test' });
    await page.getByRole('region', { name: 'Dead letters' }).getByText('No dead letters yet.').waitFor();
  });

  it('workflow page: retries and discards dead letters', async () => {
    // Two dead letters exactly as EventBus writes them after WORKFLOW_MAX_ATTEMPTS failures (the
    // built server has no handler that always fails). Group "test-dashboard" has no consumer, so the
    // retried event is published and stays unhandled.
    const redis = testRedisClient();
    const ids: string[] = [];
    try {
      for (const n of [1, 2]) {
        const fields = [
          'event_id',
          `1-${n}`,
          'group',
          'test-dashboard',
          'type',
          'test.dashboard',
          'payload',
          JSON.stringify({ n }),
          'published_at',
          new Date().toISOString(),
          'attempts',
          '5',
          'error',
          `boom ${n}`,
          'failed_at',
          new Date().toISOString(),
        ];
        ids.push((await redis.xadd(`{${server.keyPrefix}}:workflow:dead-letters`, '*', ...fields))!);
      }
    } finally {
      redis.disconnect();
    }
    await go('Proxy targets');
    await go('Workflow');
    const letters = page.getByRole('region', { name: 'Dead letters' });
    await letters.getByText('2 dead letters').waitFor();
    await expect(
      letters
        .getByRole('row', { name: new RegExp(ids[0]) })
        .getByRole('cell')
        .nth(3)
        .textContent(),
    ).resolves.toBe('boom 1');
    await shot('workflow');

    await letters.getByRole('button', { name: `Retry dead letter ${ids[0]}` }).click();
    await letters.getByText(`Retry: dead letter ${ids[0]} done.`).waitFor();
    await letters.getByText('1 dead letters').waitFor();
    const events = await server.api<{ events: { type: string; payload: unknown }[] }>(
      'GET',
      '/api/v1/workflow/events?type=test.dashboard',
    );
    expect(events.body.events).toEqual([expect.objectContaining({ type: 'test.dashboard', payload: { n: 1 } })]);

    acceptNextDialog();
    await letters.getByRole('button', { name: `Discard dead letter ${ids[1]}` }).click();
    await letters.getByText(`Discard: dead letter ${ids[1]} done.`).waitFor();
    await letters.getByText('No dead letters yet.').waitFor();
    expect((await server.api('GET', '/api/v1/workflow/dead-letters')).body).toEqual({ dead_letters: [], total: 0 });
  });

  it('deletes the proxy target and had no script or CSP errors', async () => {
    await go('Proxy targets');
    acceptNextDialog();
    await page.getByRole('button', { name: 'Delete proxy target app.example.test' }).click();
    await page.getByText('No proxy targets yet.').waitFor();
    expect((await server.api('GET', '/api/v1/proxy/targets/app.example.test')).status).toBe(404);
    // Only the API's deliberate refusals (400 validation, 404 lookups) reached the console.
    expect(browser.consoleErrors.filter((e) => !/status of 40[04] /.test(e))).toEqual([]);
  });
});
