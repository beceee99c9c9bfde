import type { Page } from 'playwright-core';
import { DashboardBrowser } from '../support/dashboard-browser';
import { ServerProcess } from '../support/server-process';

const HOST = 'limits.dash.example.test';
const WIDTHS = [1280, 390] as const;

/**
 * Rate limits and organisation/team protection in the dashboard, in Debian's Chromium against the
 * real built server: a target's Rate limits section (the server's problems one a line, saved,
 * shown as a table, removed), the Rate limits page of the Security group (global and target
 * limits with their keys), the protection form's organisations and teams; at 1280 and 390 px
 * (screenshots, axe-core without serious or critical violations, no sideways scrolling).
 */
describe('dashboard: rate limits in Chromium', () => {
  let server: ServerProcess;
  let browser: DashboardBrowser;
  let page: Page;
  const limitsPath = `/api/v1/proxy/targets/${HOST}/rate-limits`;

  const go = async (link: string) => {
    await page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
    await browser.heading(link);
  };
  const openEditor = async () => {
    await page.getByRole('button', { name: `Edit proxy target ${HOST}` }).click();
    await page.getByRole('region', { name: `Edit proxy target ${HOST}` }).waitFor();
  };

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { RATE_LIMITS: '[{"per":"address","limit":1000,"window":"1m"}]' } });
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: HOST, target_url: 'http://127.0.0.1:1', enable_https: false },
        })
      ).status,
    ).toBe(201);
    browser = await DashboardBrowser.launch('dashboard-rate-limits-');
    page = browser.page;
    await browser.signIn(server.apiUrl, server.adminToken);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("edits a target's rate limits: the server's problems one a line, then a table, then removed", async () => {
    await go('Proxy targets');
    await openEditor();
    const form = page.getByRole('form', { name: 'Rate limits' });
    await form.getByText('No rate limits on this target (global ones still apply).').waitFor();
    await expect(form.getByRole('button', { name: 'Remove limits' }).count()).resolves.toBe(0);

    const editor = form.getByLabel('Limits (optional)', { exact: true });
    await editor.fill('[{"per":"everyone","limit":0,"window":"1m"}]');
    await form.getByRole('button', { name: 'Save limits' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    const lines = (await alert.innerText()).split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/per must be one of user, client, address$/),
      expect.stringMatching(/limit must be a whole number from 1 to 1000000$/),
    ]);
    expect((await server.api('GET', limitsPath)).body).toEqual([]);

    const limits = [
      { per: 'user', limit: 60, window: '1m' },
      { per: 'client', limit: 1000, window: '1d' },
    ];
    await editor.fill(JSON.stringify(limits));
    await form.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText(`Saved proxy target ${HOST}: rate limits.`).waitFor();
    expect((await server.api('GET', limitsPath)).body).toEqual(limits);

    await openEditor();
    const table = form.getByRole('table');
    await expect(table.getByRole('caption').textContent()).resolves.toBe('2 rate limits, all applied to every request');
    await expect(
      table
        .getByRole('row')
        .evaluateAll((rows) => rows.slice(1).map((r) => [...r.children].map((c) => c.textContent).join(' | '))),
    ).resolves.toEqual(['user | 60 | 1m', 'client | 1000 | 1d']);
    // One limit a line, ready to edit.
    await expect(editor.inputValue()).resolves.toBe(`[\n${limits.map((l) => `  ${JSON.stringify(l)}`).join(',\n')}\n]`);
    await browser.shot('proxy-target-rate-limits');

    page.once('dialog', (dialog) => void dialog.accept());
    await form.getByRole('button', { name: 'Remove limits' }).click();
    await page.getByText(`Saved proxy target ${HOST}: rate limits removed.`).waitFor();
    expect((await server.api('GET', limitsPath)).body).toEqual([]);
  });

  it('lists every limit in force on the Rate limits page (Security), with its key', async () => {
    expect((await server.api('PUT', limitsPath, { body: [{ per: 'user', limit: 60, window: '1m' }] })).status).toBe(
      200,
    );
    await go('Rate limits');
    const rows = page.locator('table[data-table=rate-limits] tbody tr');
    await rows.first().waitFor();
    await expect(
      rows.evaluateAll((all) => all.map((r) => [...r.children].map((c) => c.textContent).join(' | '))),
    ).resolves.toEqual([
      `Every proxied request (RATE_LIMITS) | 1000/1m per address | the trusted client address | ${server.keyPrefix}:ratelimit:{address:<client address>}:global:1000/60000`,
      `Target ${HOST} | 60/1m per user | the token's user (its sub: the GitHub user id) | ${server.keyPrefix}:ratelimit:{user:<github user id>}:target:${HOST}:60/60000`,
    ]);
    await expect(page.locator('[data-list=unreadable]').count()).resolves.toBe(0);
    await browser.shot('rate-limits');
  });

  it("sends the protection form's organisations and teams as required_orgs and required_teams", async () => {
    await go('Proxy targets');
    await openEditor();
    const auth = page.getByRole('form', { name: 'Authentication' });
    await auth.getByLabel('Allowed GitHub organisations (optional)', { exact: true }).fill('Acme, widgets');
    await auth.getByLabel('Allowed GitHub teams (optional)', { exact: true }).fill('acme/platform');
    await auth.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`Saved proxy target ${HOST}: authentication.`).waitFor();
    expect((await server.api('GET', `/api/v1/proxy/targets/${HOST}/auth`)).body).toMatchObject({
      required_orgs: ['acme', 'widgets'],
      required_teams: ['acme/platform'],
    });
    await openEditor();
    await expect(
      auth.getByLabel('Allowed GitHub organisations (optional)', { exact: true }).inputValue(),
    ).resolves.toBe('acme, widgets');
  });

  it('renders at 1280 and 390 px without serious accessibility violations or sideways scrolling', async () => {
    const problems: string[] = [];
    const judge = async (where: string) => {
      for (const v of await browser.seriousViolations()) problems.push(`${where}: ${v}`);
      const overflow = await browser.overflow();
      if (overflow > 0) problems.push(`${where}: ${overflow} px wider than the window`);
    };
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${server.apiUrl}/#/rate-limits`);
      await browser.heading('Rate limits');
      await page.locator('table[data-table=rate-limits]').waitFor();
      await browser.shot(`page-rate-limits-${width}`);
      await judge(`#/rate-limits at ${width} px`);
      await page.goto(`${server.apiUrl}/#/proxies`);
      await browser.heading('Proxy targets');
      await openEditor();
      await page.getByRole('form', { name: 'Rate limits' }).getByRole('table').waitFor();
      await browser.shot(`proxy-target-editor-${width}`);
      await judge(`the target editor at ${width} px`);
    }
    expect(problems).toEqual([]);
    // Only the API's deliberate refusals (400 validation, 404 "no auth yet") reached the console.
    expect(browser.consoleErrors.filter((e) => !/status of 40[04] /.test(e))).toEqual([]);
  });
});
