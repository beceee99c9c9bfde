import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess, runCliProcess } from '../support/cli-process';
import { echoBackend, publicRequest, type Backend } from '../support/loopback';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

const HOST = 'limited.cli.test';

/**
 * Rate limits through proxyctl against the real built server: a target's limits set (inline and
 * from a file), shown and cleared, the server's problems relayed; the global view; requests over
 * the limit found with `logs search --decision rate-limited` and counted by `logs mcp`.
 */
describe('proxyctl rate limits against a running server', () => {
  let server: ServerProcess;
  let backend: Backend;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCliInProcess(args, env);
  const json = async <T = unknown>(...args: string[]): Promise<T> => {
    const result = await cli(...args, '--json');
    if (result.code !== 0) throw new Error(`proxyctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };
  const get = () => publicRequest({ port: server.httpPort, host: HOST, path: '/' });

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { RATE_LIMITS: '[{"per":"address","limit":1000,"window":"1m"}]' } });
    backend = await echoBackend('limited');
    env = { PROXY_API_URL: server.apiUrl, PROXY_API_TOKEN: server.adminToken };
    await json('proxy', 'create', HOST, backend.url);
  });
  afterAll(async () => {
    await server?.stop();
    await backend?.close();
  });

  it('sets, shows and clears a target’s limits; bad input gets a usage error or the server’s problems', async () => {
    const set = await runCliProcess(
      ['target', 'rate-limits-set', HOST, '[{"per":"address","limit":2,"window":"1h"}]'],
      env,
    );
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('PER      LIMIT  WINDOW\naddress  2      1h\n');
    const shown = await cli('target', 'rate-limits-show', HOST);
    expect(shown.stdout).toBe('PER      LIMIT  WINDOW\naddress  2      1h\n');

    const notJson = await cli('target', 'rate-limits-set', HOST, '2/1h');
    expect([notJson.code, notJson.stderr]).toEqual([
      2,
      'proxyctl: <limits> must be JSON, e.g. \'[{"per":"user","limit":60,"window":"1m"}]\' (got 2/1h)\nRun "proxyctl --help" for usage.\n',
    ]);
    const refused = await cli('target', 'rate-limits-set', HOST, '[{"per":"everyone","limit":0,"window":"1m"}]');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*per must be one of user, client, address.*limit must be a whole number/);
    expect(refused.stderr).toMatch(/\(HTTP 400, request [\w-]+\)\n$/);
    // Nothing changed by the refused write.
    expect(await json('target', 'rate-limits-show', HOST)).toEqual([{ per: 'address', limit: 2, window: '1h' }]);

    const dir = mkdtempSync(join(tmpdir(), 'proxyctl-limits-'));
    writeFileSync(
      join(dir, 'limits.json'),
      '[{"per":"user","limit":60,"window":"1m"},{"per":"client","limit":600,"window":"1h"}]',
    );
    expect(await json('proxy', 'rate-limits-set', HOST, `@${join(dir, 'limits.json')}`)).toEqual([
      { per: 'user', limit: 60, window: '1m' },
      { per: 'client', limit: 600, window: '1h' },
    ]);
    expect((await cli('targets', 'rate-limits-clear', HOST)).code).toBe(0);
    expect((await cli('target', 'rate-limits-show', HOST)).stdout).toBe('(none)\n');
  });

  it('lists every limit in force with its key (proxyctl rate-limits)', async () => {
    await json('target', 'rate-limits-set', HOST, '[{"per":"user","limit":60,"window":"1m"}]');
    const view = await runCliProcess(['rate-limits'], env);
    expect(view.code).toBe(0);
    const lines = view.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SCOPE\s+TARGET\s+RULE\s+LIMIT\s+KEY$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^global\\s+-\\s+-\\s+1000/1m per address\\s+${server.keyPrefix}:ratelimit:\\{address:<client address>\\}:global:1000/60000$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^target\\s+${HOST.replace(/\./g, '\\.')}\\s+-\\s+60/1m per user\\s+${server.keyPrefix}:ratelimit:\\{user:<github user id>\\}:target:${HOST.replace(/\./g, '\\.')}:60/60000$`,
        ),
      ),
    ]);
    await json('target', 'rate-limits-clear', HOST);
  });

  it('finds requests over the limit with --decision rate-limited, and counts them in logs mcp', async () => {
    // An open target: requests without a token count by their address (burst of 2, then one an hour).
    await json('target', 'rate-limits-set', HOST, '[{"per":"user","limit":2,"window":"1h"}]');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get()).status);
    expect(statuses).toEqual([200, 200, 429]);

    const limited = await waitFor(
      'the refused request in the request log',
      () =>
        json<{ entries: { status: number; decision?: string; host: string }[] }>(
          'logs',
          'search',
          '--decision',
          'rate-limited',
          '--hours',
          '1',
        ),
      (answer) => answer.entries.length === 1,
    );
    expect(limited.entries[0]).toMatchObject({ status: 429, decision: 'rate-limited', host: HOST });
    const table = await cli('logs', 'search', '--decision', 'rate-limited', '--hours', '1');
    expect(table.stdout).toMatch(/\s429\s.*\srate-limited\s/);

    const activity = await runCliProcess(['logs', 'mcp', '--window', '1h'], env);
    expect(activity.code).toBe(0);
    expect(activity.stdout).toMatch(/^rate-limited\s+1$/m);
    expect(activity.stdout).toMatch(/^Most called tools\n\(none\)$/m);
    const asJson = await json<{ decisions: Record<string, number> }>('logs', 'mcp');
    expect(asJson.decisions['rate-limited']).toBe(1);
    await json('target', 'rate-limits-clear', HOST);
  });
});
