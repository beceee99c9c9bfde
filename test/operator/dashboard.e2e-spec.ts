import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ServerProcess } from '../support/server-process';

const SCREENSHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

/**
 * The dashboard in Debian's real Chromium (playwright-core drives it): sign in, tokens page
 * (create, validation message from the API, delete), health page; screenshots of the main pages.
 */
describe('dashboard in Chromium', () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await ServerProcess.start();
    mkdirSync(SCREENSHOTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
    // A persistent context gives Chromium a fresh user-data dir of our own.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1200, height: 800 },
    });
    browser = context.browser()!;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    void browser;
    await server?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('serves the page with a Content-Security-Policy and no third-party origin', async () => {
    const res = await fetch(`${server.apiUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${server.apiUrl}/dashboard/app.js`)).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await fetch(`${server.apiUrl}/dashboard/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${server.apiUrl}/dashboard/nope.js`)).status).toBe(404);
  });

  it('refuses a wrong token with the API message, then signs in with the admin token', async () => {
    await page.goto(`${server.apiUrl}/`);
    await page.getByLabel('API token').fill('acm_wrong_token_value');
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') });
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^Sign-in refused: /);

    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The landing page is the overview; the health facts are one link away.
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await expect(page.getByText('Signed in as admin (admin)').isVisible()).resolves.toBe(true);
    await page.getByRole('navigation').getByRole('link', { name: 'Health', exact: true }).click();
    await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor();
    await page.locator('dd.status-ok').waitFor();
    await expect(page.locator('dd.status-ok').textContent()).resolves.toBe('ok');
    await page.screenshot({ path: join(SCREENSHOTS, 'health.png'), fullPage: true });
    // The token lives in sessionStorage only.
    await expect(
      page.evaluate(() => [sessionStorage.getItem('proxy-dashboard-token') !== null, localStorage.length]),
    ).resolves.toEqual([true, 0]);
  });

  it('creates a token, lists it, shows the API validation message for a bad name, rotates and deletes it', async () => {
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    await page.getByText('No api tokens yet.').waitFor();

    await page.getByLabel('Name').fill('dash-alice');
    await page.getByLabel('Certificate e-mail (optional)').fill('alice@example.test');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByTestId('new-token').textContent();
    expect(secret).toMatch(/^acm_[A-Za-z0-9_-]{43}$/);
    const row = page.getByRole('row', { name: /dash-alice/ });
    await row.waitFor();
    await expect(row.getByRole('cell').first().textContent()).resolves.toBe('alice@example.test');
    // The dashboard created it for real: the API knows it, and the shown value authenticates.
    expect((await server.api('GET', '/api/v1/tokens/me', { token: secret })).body).toMatchObject({
      name: 'dash-alice',
    });
    await page.screenshot({ path: join(SCREENSHOTS, 'tokens.png'), fullPage: true });

    await page.getByLabel('Name').fill('has space');
    await page.getByRole('button', { name: 'Create token' }).click();
    const alert = page.locator('form[aria-label="Create token"] [role=alert]');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe(
      'name must be 1-64 characters of letters, digits, _ . - starting with a letter or digit',
    );
    await expect(page.getByLabel('Name').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.screenshot({ path: join(SCREENSHOTS, 'tokens-validation-error.png'), fullPage: true });

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Rotate token dash-alice' }).click();
    await page.getByText('Rotate: token dash-alice done.').waitFor();
    const rotated = await page.getByTestId('new-token').textContent();
    expect(rotated).toMatch(/^acm_/);
    expect(rotated).not.toBe(secret);
    expect((await server.api('GET', '/api/v1/tokens/me', { token: secret })).status).toBe(401);
    expect((await server.api('GET', '/api/v1/tokens/me', { token: rotated })).status).toBe(200);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete token dash-alice' }).click();
    await page.getByText('No api tokens yet.').waitFor();
    expect((await server.api('GET', '/api/v1/tokens/dash-alice')).status).toBe(404);
  });

  it('is usable from the keyboard and signs out', async () => {
    await page.goto(`${server.apiUrl}/#/health`);
    await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor();
    // After navigation focus moves to the page content; Tab goes on into it, Shift+Tab back to the
    // navigation (after the top bar: skip link, Sign out, then the grouped menu).
    // The app moves focus once the page has rendered: wait for that state (bounded), then check it.
    await page
      .waitForFunction(() => document.activeElement?.id === 'main', undefined, { timeout: 5000 })
      .catch(() => undefined);
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('main');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Refresh');
    await page.keyboard.press('Shift+Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Health');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-current'))).resolves.toBe('page');
    await page.keyboard.press('Shift+Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Workflow');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Workflow', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect(page.evaluate(() => sessionStorage.length)).resolves.toBe(0);
    // No script error, CSP violation or missing file; only the API's deliberate 400 and 401 answers.
    expect(consoleErrors.filter((e) => !/status of 40[01] /.test(e))).toEqual([]);
  });
});
