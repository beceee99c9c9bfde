import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface BenchResults {
  smoke: boolean;
  scenarios: Record<string, Record<string, unknown> & { error?: string; skipped?: string }>;
}

/**
 * The benchmark suite must not rot: `bench/run.mjs --smoke` runs every scenario with tiny sizes
 * (wrk for 1 s, 50 SSE streams, 200 targets...) against the real backend, nginx and the built
 * server. Only shapes and counts are checked here, never a timing.
 */
describe('bench smoke run', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    // A timed-out run is stopped (bench/run.mjs then stops its servers, nginx and backends).
    if (child && child.exitCode === null) child.kill('SIGTERM');
    rmSync(out, { recursive: true, force: true });
  });

  it('runs every scenario against direct, nginx and ours and writes JSON + Markdown', async () => {
    const run = spawn(process.execPath, ['bench/run.mjs', '--smoke', `--out=${out}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = run;
    let output = '';
    run.stdout.on('data', (d: Buffer) => (output += d.toString()));
    run.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect({ code, tail: code === 0 ? '' : output.slice(-2000) }).toEqual({ code: 0, tail: '' });

    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
    expect(results.smoke).toBe(true);
    const s = results.scenarios;
    expect(Object.keys(s).sort()).toEqual([
      'auth',
      'https-sni',
      'mcp-policy',
      'propagation',
      'rate-limit',
      'scale',
      'small-get',
      'sse-idle',
      'sse-list-filter',
      'stream-1mib',
      'websocket-echo',
    ]);
    for (const [name, result] of Object.entries(s))
      expect({ name, error: result.error }).toEqual({ name, error: undefined });
    const served = (row: unknown) =>
      (row as { rps: number; non_2xx: number }).rps > 0 && (row as { non_2xx: number }).non_2xx === 0;
    for (const who of ['direct', 'nginx', 'nginx_access_log', 'ours'])
      expect({ who, ok: served(s['small-get'][who]) }).toEqual({ who, ok: true });
    for (const who of ['nginx', 'ours']) expect({ who, ok: served(s['https-sni'][who]) }).toEqual({ who, ok: true });
    expect((s['stream-1mib'].ours as { mib_per_s: number }).mib_per_s).toBeGreaterThan(0);
    for (const who of ['direct', 'nginx', 'ours']) {
      // every stream got every broadcast event; every WebSocket message came back
      expect((s['sse-idle'][who] as { events: number }).events).toBe(50 * 2);
      expect((s['websocket-echo'][who] as { messages: number }).messages).toBe(50);
    }
    // the SSE list filter ran on every event (and hid half of the tools); one stream got every event
    const filtering = s['sse-list-filter'] as { events: number; answer_bytes: number; answer_filtered_bytes: number };
    expect(filtering.events).toBe(200);
    expect(filtering.answer_filtered_bytes).toBeGreaterThan(0);
    expect(filtering.answer_filtered_bytes).toBeLessThan(filtering.answer_bytes * 0.75);
    for (const who of ['direct', 'ours'])
      expect((s['sse-list-filter'].proxied as Record<string, { events: number }>)[who].events).toBe(10);
    expect(s.propagation.writes).toBe(5);
    expect(s.scale).toMatchObject({ targets: 200, routes: 20 });
    expect(served(s.scale.many_targets) && served(s.scale.one_target)).toBe(true);
    // auth: a minted RS256 token gets 200 through the protected target (401 without), and every
    // request wrk sent with it was answered 2xx
    expect(s.auth.skipped).toBeUndefined();
    expect(s.auth).toMatchObject({ status_with_token: 200, status_without_token: 401 });
    for (const who of ['open', 'open_without_token', 'protected', 'control_same_bytes'])
      expect({ who, ok: served(s.auth[who]) }).toEqual({ who, ok: true });
    // mcp-policy: the governed target allows the measured call and denies another; every call wrk
    // sent to either target was answered 2xx
    expect(s['mcp-policy'].checks).toEqual({ governed_allowed: 200, governed_denied: 403, ungoverned: 200 });
    for (const who of ['governed', 'ungoverned'])
      expect({ who, ok: served(s['mcp-policy'][who]) }).toEqual({ who, ok: true });
    // rate-limit: both targets answered every request 2xx (the limit is configured, never reached)
    for (const who of ['limited', 'unlimited'])
      expect({ who, ok: served(s['rate-limit'][who]) }).toEqual({ who, ok: true });
    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(md).toContain('| small GET, 10 conns: req/s |');
    expect(md).toContain('| auth-protected (forward, valid JWT) vs open target, same requests: req/s |');
    expect(md).toContain('| MCP tools/call, governed target (5 rules) vs the same without a policy: req/s |');
    expect(md).toContain('| protected requests, per-user limit configured (not reached) vs no limit: req/s |');
    expect(md).toContain('| … nginx with its access log on (ours logs every request too): req/s, p99 ms |');
  }, 180_000);
});
