import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ServerProcess } from '../support/server-process';

const ROOT = join(__dirname, '..', '..');
const JUST = join(ROOT, 'node_modules', '.bin', 'just');

function just(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(JUST, ['--justfile', join(ROOT, 'justfile'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The justfile's recipes, run by the `just` that npm installed (rust-just), against a real server. */
describe('justfile recipes', () => {
  let server: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await ServerProcess.start();
    env = { PROXY_API_URL: server.apiUrl, PROXY_API_TOKEN: server.adminToken, ADMIN_TOKEN: server.adminToken };
  });
  afterAll(() => server.stop());

  it("lists the original system's recipe names that exist so far", async () => {
    const list = await just(['--list', '--unsorted'], env);
    expect(list.code).toBe(0);
    const names = list.stdout.split('\n').slice(1).map((line) => line.trim().split(/\s+/)[0]).filter(Boolean);
    expect(names).toEqual(
      expect.arrayContaining(['help', 'up', 'down', 'restart', 'rebuild', 'logs', 'health', 'shell', 'redis-cli', 'test', 'test-all', 'generate-admin-token', 'token-admin', 'token-generate', 'token-list', 'token-show', 'token-delete', 'token-email']),
    );
  });

  it('creates, lists, shows and deletes a token through the recipes', async () => {
    const created = await just(['token-generate', 'just-carol', 'carol@example.test'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^token\s+acm_[A-Za-z0-9_-]{43}$/m);
    const secret = /^token\s+(\S+)$/m.exec(created.stdout)![1];
    // Recipes do not echo their command lines, so tokens given as arguments stay off the terminal.
    expect(created.stderr).toBe('Store the token now: it is never shown again.\n');

    expect((await just(['token-list'], env)).stdout).toMatch(/^just-carol\s+carol@example\.test\s/m);
    expect((await just(['token-show', 'just-carol'], env)).stdout).toMatch(/^name\s+just-carol$/m);

    // The token as a last argument, as in the original system's recipes.
    const email = await just(['token-email', 'new@example.test', secret], { PROXY_API_URL: server.apiUrl });
    expect(email.stdout).toMatch(/^cert_email\s+new@example\.test$/m);
    const admin = await just(['token-admin'], env);
    expect(admin.stdout).toMatch(/^is_admin\s+true$/m);

    expect((await just(['token-delete', 'just-carol'], env)).code).toBe(0);
    expect((await server.api('GET', '/api/v1/tokens/just-carol')).status).toBe(404);
    const again = await just(['token-delete', 'just-carol'], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/^error: token "just-carol" not found \(HTTP 404/m);
  });

  it('reports health and generates admin tokens', async () => {
    const health = await just(['health'], { PROXY_API_URL: server.apiUrl });
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(/^status\s+ok$/m);
    const generated = await just(['generate-admin-token'], {});
    expect(generated.stdout).toMatch(/^acm_[A-Za-z0-9_-]{43}\n$/);
  });
});
