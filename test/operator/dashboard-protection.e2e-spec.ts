import type { Page } from 'playwright-core';
import { DashboardBrowser } from '../support/dashboard-browser';
import { loopbackFetch } from '../support/loopback-fetch';
import { ServerProcess } from '../support/server-process';

/**
 * Target protection and the resource registry in the dashboard, in Debian's Chromium against the
 * real built server: protection turned on through a proxy target's Authentication section (with the
 * API's message for a bad mode), its protected resource set, the resource validated on the
 * Protected resources page (the backend is a closed loopback port, so the reason is "target down"),
 * a resource registered and deleted there, discovery, and protection turned off again.
 */
describe('dashboard: target protection and protected resources in Chromium', () => {
  let server: ServerProcess;
  let browser: DashboardBrowser;
  let page: Page;
  const HOST = 'mcp.dash.example.test';
  const BACKEND = 'http://127.0.0.1:1';

  const heading = (name: string) => browser.heading(name);
  const go = async (link: string) => {
    await page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
    await heading(link);
  };
  const shot = (name: string) => browser.shot(name);
  const acceptNextDialog = () => page.once('dialog', (dialog) => void dialog.accept());
  const openEditor = async () => {
    await page.getByRole('button', { name: `Edit proxy target ${HOST}` }).click();
    await page.getByRole('region', { name: `Edit proxy target ${HOST}` }).waitFor();
  };

  beforeAll(async () => {
    server = await ServerProcess.start();
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: HOST, target_url: BACKEND, enable_https: false },
        })
      ).status,
    ).toBe(201);
    browser = await DashboardBrowser.launch('dashboard-protection-');
    page = browser.page;
    await browser.signIn(server.apiUrl, server.adminToken);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("turns protection on through the Authentication section, after the API's message for a bad mode", async () => {
    await go('Proxy targets');
    await openEditor();
    const auth = page.getByRole('form', { name: 'Authentication' });
    // No protection yet (GET .../auth answers 404): the form starts from the defaults.
    await expect(auth.getByLabel('Protection on', { exact: true }).isChecked()).resolves.toBe(true);
    await expect(auth.getByLabel('Mode (optional)', { exact: true }).inputValue()).resolves.toBe('');

    await auth.getByLabel('Mode (optional)', { exact: true }).fill('sideways');
    await auth.getByLabel('Allowed GitHub users (optional)', { exact: true }).fill('alice, bob');
    await auth.getByRole('button', { name: 'Save' }).click();
    const alert = auth.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe('mode must be one of forward, redirect, passthrough');
    await expect(auth.getByLabel('Mode (optional)', { exact: true }).getAttribute('aria-invalid')).resolves.toBe(
      'true',
    );
    await shot('proxy-target-auth-validation-error');
    expect((await server.api('GET', `/api/v1/proxy/targets/${HOST}/auth`)).status).toBe(404);

    await auth.getByLabel('Mode (optional)', { exact: true }).fill('forward');
    await auth.getByLabel('Paths without authentication (optional)', { exact: true }).fill('/health');
    await auth.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`Saved proxy target ${HOST}: authentication.`).waitFor();
    expect((await server.api('GET', `/api/v1/proxy/targets/${HOST}/auth`)).body).toMatchObject({
      enabled: true,
      mode: 'forward',
      required_users: ['alice', 'bob'],
      excluded_paths: ['/health'],
      pass_headers: true,
    });
    // In force on the data path: no token, the 401 challenge.
    const challenge = await loopbackFetch(`http://${HOST}:${server.httpPort}/mcp`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="/);

    // Opened again, the section is read from GET .../auth.
    await openEditor();
    await expect(auth.getByLabel('Mode (optional)', { exact: true }).inputValue()).resolves.toBe('forward');
    await expect(auth.getByLabel('Allowed GitHub users (optional)', { exact: true }).inputValue()).resolves.toBe(
      'alice, bob',
    );
  });

  it('sets the protected resource of the target', async () => {
    const section = page.getByRole('form', { name: 'Protected resource' });
    await expect(section.getByLabel('Endpoint (optional)', { exact: true }).inputValue()).resolves.toBe('');
    await section.getByLabel('Endpoint (optional)', { exact: true }).fill('mcp');
    await section.getByRole('button', { name: 'Save' }).click();
    await expect(section.getByRole('alert').textContent()).resolves.toBe(
      'endpoint must be a path starting with /, e.g. /mcp',
    );

    await section.getByLabel('Endpoint (optional)', { exact: true }).fill('/mcp');
    await section.getByLabel('Scopes (optional)', { exact: true }).fill('mcp:read');
    await section.getByLabel('Name (optional)', { exact: true }).fill('Dashboard MCP');
    await shot('proxy-target-protection-edit');
    await section.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`Saved proxy target ${HOST}: protected resource.`).waitFor();
    const entries = await server.api<Record<string, unknown>[]>('GET', `/api/v1/proxy/targets/${HOST}/resource`);
    expect(entries.body).toEqual([
      expect.objectContaining({
        uri: `http://${HOST}:${server.httpPort}/mcp`,
        name: 'Dashboard MCP',
        scopes: ['mcp:read'],
      }),
    ]);

    await openEditor();
    await expect(section.getByLabel('Endpoint (optional)', { exact: true }).inputValue()).resolves.toBe('/mcp');
    await expect(section.getByLabel('Scopes (optional)', { exact: true }).inputValue()).resolves.toBe('mcp:read');
    await section.getByRole('button', { name: 'Cancel' }).click();
  });

  it('validates a resource and shows the reason, registers and deletes another, discovers', async () => {
    const uri = `http://${HOST}:${server.httpPort}/mcp`;
    await go('Protected resources');
    const row = page.getByRole('row', { name: new RegExp(uri.replace(/[.]/g, '\\.')) });
    await row.waitFor();
    await expect(row.getByRole('cell').nth(0).textContent()).resolves.toBe('Dashboard MCP');

    await page.getByRole('button', { name: `Validate resource ${uri}` }).click();
    await page.getByText(`Validate: resource ${uri} failed.`).waitFor();
    const reason = page.getByTestId('validation-reason');
    await expect(reason.textContent()).resolves.toBe(
      `${uri} is not valid: target down: the backend ${BACKEND} did not answer (connect ECONNREFUSED 127.0.0.1:1)`,
    );
    await expect(page.getByRole('list', { name: 'Checks' }).getByRole('listitem').first().textContent()).resolves.toBe(
      `ok: target_exists: proxy target ${HOST} exists`,
    );
    await shot('protected-resources-validate');

    // Register a second one through the form; the API's message for a URI on another host first.
    await page.getByLabel('URI', { exact: true }).fill('http://elsewhere.example.test/mcp');
    await page.getByLabel('Name', { exact: true }).fill('Other');
    await page.getByLabel('Proxy target', { exact: true }).fill(HOST);
    await page.getByRole('button', { name: 'Create resource' }).click();
    const createAlert = page.locator('form[aria-label="Create resource"] [role=alert]');
    await createAlert.waitFor();
    await expect(createAlert.textContent()).resolves.toMatch(/^uri /);
    const other = `http://${HOST}:${server.httpPort}/other`;
    await page.getByLabel('URI', { exact: true }).fill(other);
    await page.getByLabel('Scopes (optional)', { exact: true }).fill('mcp:read, mcp:write');
    await page.getByRole('button', { name: 'Create resource' }).click();
    await page.getByText(`Created resource ${other}.`).waitFor();
    const created = (
      await server.api<{ uri: string; scopes: string[]; proxy_target: string }[]>('GET', '/api/v1/resources')
    ).body.find((r) => r.uri === other);
    expect(created).toMatchObject({ proxy_target: HOST, scopes: ['mcp:read', 'mcp:write'] });
    await shot('protected-resources');
    acceptNextDialog();
    await page.getByRole('button', { name: `Delete resource ${other}` }).click();
    await page.getByText(`Delete: resource ${other} done.`).waitFor();
    expect((await server.api<{ uri: string }[]>('GET', '/api/v1/resources')).body.map((r) => r.uri)).toEqual([uri]);

    // The only protected target already has an entry: nothing new.
    await page.getByRole('button', { name: 'Discover resources' }).click();
    await page.getByText('No new resources registered.').waitFor();
  });

  it("edits a resource's MCP policy: the API's problems one a line, then the rules as a table, then removed", async () => {
    const uri = `http://${HOST}:${server.httpPort}/mcp`;
    const policyPath = `/api/v1/resources/${(await server.api<{ id: string }[]>('GET', '/api/v1/resources')).body[0].id}/policy`;
    await go('Protected resources');
    const openResource = async () => {
      await page.getByRole('button', { name: `Edit resource ${uri}` }).click();
      await page.getByRole('region', { name: `Edit resource ${uri}` }).waitFor();
    };
    await openResource();
    const form = page.getByRole('form', { name: 'Policy' });
    await form.getByText('No policy: every MCP call is allowed.').waitFor();

    const rules = form.getByLabel('Rules', { exact: true });
    await rules.fill('[{"id":"w","method":"tools/call","scopes":["mcp:nope"]},{"id":"w","method":"tools/list"}]');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toBe(
      [
        'rules[0] "w": scope mcp:nope is not issued by this server (OAUTH_SCOPES: mcp:read mcp:write), so no caller could ever get it',
        'rules[1] "w": id is used by an earlier rule (ids must be unique)',
      ].join('\n'),
    );
    expect((await server.api('GET', policyPath)).status).toBe(404);

    const policy = {
      default: 'deny',
      rules: [
        { id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] },
        { id: 'no-shell', method: 'tools/call', name: 'run_shell', deny: true },
        {
          id: 'team-reads',
          method: 'tools/call',
          name: 'read_*',
          orgs: ['acme'],
          teams: ['acme/platform'],
          rate_limits: [{ per: 'user', limit: 10, window: '1m' }],
        },
        { id: 'rest', method: '*' },
      ],
    };
    await rules.fill(JSON.stringify(policy.rules));
    await form.getByLabel('When no rule matches', { exact: true }).selectOption('deny');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText(`Saved resource ${uri}: policy.`).waitFor();
    expect((await server.api('GET', policyPath)).body).toEqual({ ...policy, metric_names: false });

    await openResource();
    const table = form.getByRole('table');
    await expect(table.getByRole('caption').textContent()).resolves.toBe(
      '4 policy rules, in order. When no rule matches: deny.',
    );
    const cells = async (id: string) =>
      (
        await table
          .getByRole('row', { name: new RegExp(`^${id} `) })
          .getByRole('cell')
          .allTextContents()
      ).join(' | ');
    await expect(cells('writes')).resolves.toBe('tools/call | write_* | scope mcp:write | no | -');
    await expect(cells('no-shell')).resolves.toBe('tools/call | run_shell | - | yes | -');
    await expect(cells('team-reads')).resolves.toBe(
      'tools/call | read_* | org acme, team acme/platform | no | 10/1m per user',
    );
    // One rule a line.
    await expect(rules.inputValue()).resolves.toBe(
      `[\n${policy.rules.map((rule) => `  ${JSON.stringify(rule)}`).join(',\n')}\n]`,
    );
    await shot('protected-resource-policy');

    acceptNextDialog();
    await form.getByRole('button', { name: 'Remove policy' }).click();
    await page.getByText(`Saved resource ${uri}: policy removed.`).waitFor();
    expect((await server.api('GET', policyPath)).status).toBe(404);
  });

  it('turns protection off, and had no script or CSP errors', async () => {
    await go('Proxy targets');
    await openEditor();
    acceptNextDialog();
    await page
      .getByRole('form', { name: 'Authentication' })
      .getByRole('button', { name: 'Turn protection off' })
      .click();
    await page.getByText(`Turn protection off: proxy target ${HOST} done.`).waitFor();
    expect((await server.api('GET', `/api/v1/proxy/targets/${HOST}/auth`)).status).toBe(404);
    expect((await loopbackFetch(`http://${HOST}:${server.httpPort}/mcp`)).status).toBe(502);
    // Only the API's deliberate refusals (400 validation, 404 "no auth yet") reached the console.
    expect(browser.consoleErrors.filter((e) => !/status of 40[04] /.test(e))).toEqual([]);
  });
});
