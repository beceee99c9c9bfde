import { runCliProcess } from '../support/cli-process';
import { ServerProcess } from '../support/server-process';

interface TokenJson {
  name: string;
  token?: string;
  cert_email: string | null;
  owned?: Record<string, number>;
}

/** The built proxyctl against the real built server: tables, --json, API errors and exit codes. */
describe('proxyctl against a running server', () => {
  let server: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await ServerProcess.start();
    env = { PROXY_API_URL: server.apiUrl, PROXY_API_TOKEN: server.adminToken };
  });
  afterAll(() => server.stop());

  it('creates, lists, shows and deletes tokens with table output', async () => {
    const created = await runCliProcess(['token', 'create', 'cli-alice', '--cert-email', 'alice@example.test'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^name\s+cli-alice$/m);
    expect(created.stdout).toMatch(/^token\s+acm_[A-Za-z0-9_-]{43}$/m);
    expect(created.stderr).toBe('Store the token now: it is never shown again.\n');

    const list = await runCliProcess(['token', 'list'], env);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CERT EMAIL\s+CREATED\s+ROTATED\s+OWNS$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^cli-alice\s+alice@example\.test\s+\d{4}-\d\d-\d\dT\S+\s+-\s+-$/),
    ]);
    // Columns are aligned: every header starts where its cells start.
    expect(lines[1].indexOf('alice@example.test')).toBe(lines[0].indexOf('CERT EMAIL'));

    const show = await runCliProcess(['token', 'show', 'cli-alice'], env);
    expect(show.stdout).toMatch(/^cert_email\s+alice@example\.test$/m);

    const deleted = await runCliProcess(['token', 'delete', 'cli-alice'], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(/^name\s+cli-alice$/m);
    expect((await server.api('GET', '/api/v1/tokens/cli-alice')).status).toBe(404);
    expect((await runCliProcess(['token', 'list'], env)).stdout).toBe('(none)\n');
  });

  it('prints parseable JSON with --json, and the new token works for "token me" and "token email"', async () => {
    const created = await runCliProcess(['token', 'create', 'cli-bob', '--json'], env);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('');
    const bob = JSON.parse(created.stdout) as TokenJson;
    expect(bob).toMatchObject({ name: 'cli-bob', cert_email: null, token: expect.stringMatching(/^acm_/) });

    const list = JSON.parse((await runCliProcess(['--json', 'token', 'list'], env)).stdout) as TokenJson[];
    expect(list).toEqual([expect.objectContaining({ name: 'cli-bob' })]);
    // Every owned-resource kind (certificates, services, ...) counts 0 for a new token.
    expect(Object.values(list[0].owned ?? {}).filter((n) => n !== 0)).toEqual([]);

    // PROXY_API_TOKEN wins over ADMIN_TOKEN; --token wins over both.
    const me = await runCliProcess(['token', 'me', '--json'], {
      PROXY_API_URL: server.apiUrl,
      ADMIN_TOKEN: server.adminToken,
      PROXY_API_TOKEN: bob.token!,
    });
    expect(JSON.parse(me.stdout)).toMatchObject({ name: 'cli-bob', is_admin: false });
    const admin = await runCliProcess(['token', 'me', '--json'], {
      PROXY_API_URL: server.apiUrl,
      ADMIN_TOKEN: server.adminToken,
    });
    expect(JSON.parse(admin.stdout)).toMatchObject({ is_admin: true });
    const email = await runCliProcess(['token', 'email', 'bob@example.test', '--token', bob.token!, '--json'], {
      PROXY_API_URL: server.apiUrl,
      ADMIN_TOKEN: server.adminToken,
    });
    expect(JSON.parse(email.stdout)).toMatchObject({ name: 'cli-bob', cert_email: 'bob@example.test' });

    const rotated = JSON.parse(
      (await runCliProcess(['token', 'rotate', 'cli-bob', '--json'], env)).stdout,
    ) as TokenJson;
    expect(rotated.token).not.toBe(bob.token);
    const deleted = JSON.parse((await runCliProcess(['token', 'delete', 'cli-bob', '--json'], env)).stdout) as {
      name: string;
      deleted: Record<string, number>;
    };
    expect(deleted.name).toBe('cli-bob');
    expect(Object.values(deleted.deleted).filter((n) => n !== 0)).toEqual([]);
  });

  it("shows the API's message and exits 1 for API errors", async () => {
    const bad = await runCliProcess(['token', 'create', 'has space'], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(
      /^error: name must be 1-64 characters of letters, digits, _ \. - starting with a letter or digit \(HTTP 400, request [\w-]+\)\n$/,
    );

    const missing = await runCliProcess(['token', 'show', 'nobody'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: token "nobody" not found \(HTTP 404/);

    const wrongToken = await runCliProcess(['token', 'list'], { ...env, PROXY_API_TOKEN: 'acm_wrong_token_value' });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/\(HTTP 401, request /);
    expect(wrongToken.stderr).not.toContain('    at ');
  });

  it('reports health without a token, as a table or JSON', async () => {
    const table = await runCliProcess(['health'], { PROXY_API_URL: server.apiUrl });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^status\s+ok$/m);
    expect(table.stdout).toMatch(/^redis\.status\s+up$/m);
    const json = JSON.parse((await runCliProcess(['health', '--json'], { PROXY_API_URL: server.apiUrl })).stdout) as {
      status: string;
    };
    expect(json.status).toBe('ok');
  });

  it('exits 2 for usage errors and 3 when the server cannot be reached', async () => {
    const usage = await runCliProcess(['token', 'create'], env);
    expect(usage).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'proxyctl: missing <name>; usage: proxyctl token create <name> [options]\nRun "proxyctl --help" for usage.\n',
    });
    const url = 'http://127.0.0.1:2'; // privileged and closed (fetch refuses port 1): no parallel suite can be listening there
    const unreachable = await runCliProcess(['token', 'list'], {
      PROXY_API_URL: url,
      PROXY_API_TOKEN: server.adminToken,
    });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toBe(
      `error: cannot reach the API at ${url} (ECONNREFUSED); is the server running? Set PROXY_API_URL or --url\n`,
    );
  });
});
