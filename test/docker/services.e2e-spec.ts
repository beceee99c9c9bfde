import { randomBytes } from 'node:crypto';
import {
  docker,
  ensureDockerEngine,
  ensureTestImage,
  inspectContainer,
  removeDeploymentContainers,
  TEST_IMAGE,
  TEST_PAGE,
} from '../support/docker-engine';
import { loopbackFetch } from '../support/loopback-fetch';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

interface Service {
  service_name: string;
  owner: string;
  status: string;
  container_id: string;
  container_name: string;
  ports: { name: string; container_port: number; host_port: number; bind_address: string; protocol: string }[];
  target_url: string | null;
  proxy_hostname: string | null;
  lifecycle: { state: string; reason: string | null };
}
interface WorkflowEvent {
  type: string;
  payload: Record<string, unknown>;
}
interface ErrorBody {
  statusCode: number;
  message: string;
}

/** Waits until the container's web server answers (not a timing assertion: the test fails on content). */
function fetchWhenUp(url: string): Promise<Response> {
  return waitFor(
    `an answer from ${url}`,
    () => fetch(url),
    () => true,
    { timeoutMs: 15_000, intervalMs: 100 },
  );
}

const HTTPD = ['/bin/busybox', 'httpd', '-f', '-vv', '-p', '80', '-h', '/www'];
/** What this engine answers when a container's user does not exist: the API passes its status on (a 5xx as 502). */
const FAILED_START_STATUS = 502;

describe('Docker services against the real engine', () => {
  // A block of 100 ports in 12000-19999: outside the kernel's ephemeral range (32768+, outgoing
  // connections) and the other suites' ranges (test/support/ports.ts, test/docker/ports), so the
  // first allocation is `base` unless something outside the suite holds it.
  const base = 12000 + Math.floor(Math.random() * 80) * 100;
  let server: ServerProcess;
  let web: Service;

  beforeAll(async () => {
    await ensureDockerEngine();
    ensureTestImage();
    server = await ServerProcess.start({
      env: {
        DOCKER_IMAGE_ALLOWLIST: 'mcp-test-busybox:*',
        PORTS_INTERNAL_RANGE: `${base}-${base + 49}`,
        PORTS_EXPOSED_RANGE: `${base + 50}-${base + 99}`,
        DOCKER_RECONCILE_SECONDS: '3600',
      },
    });
  }, 120_000);
  afterAll(async () => {
    if (server) removeDeploymentContainers(server.keyPrefix);
    await server?.stop();
  });

  it('creates a service from a local image and serves a page on its published 127.0.0.1 port', async () => {
    const res = await server.api<Service>('POST', '/api/v1/services', {
      body: {
        service_name: 'web',
        image: TEST_IMAGE,
        command: HTTPD,
        internal_port: 80,
        environment: { GREETING: 'hello' },
        labels: { team: 'docs' },
        memory_limit: '64m',
        cpu_limit: 0.5,
        restart_policy: 'on-failure',
      },
    });
    expect(res.status).toBe(201);
    web = res.body;
    expect(web).toMatchObject({
      service_name: 'web',
      owner: 'ADMIN',
      status: 'running',
      container_name: `mcp-${server.keyPrefix}-web`,
      proxy_hostname: null,
      auto_proxy: false,
      lifecycle: { state: 'started', reason: null },
    });
    expect(web.ports).toEqual([
      { name: 'main', container_port: 80, host_port: base, bind_address: '127.0.0.1', protocol: 'tcp' },
    ]);
    expect(web.target_url).toBe(`http://127.0.0.1:${base}`);

    const page = await fetchWhenUp(`http://127.0.0.1:${base}/index.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(TEST_PAGE);

    const ports = await server.api('GET', '/api/v1/services/web/ports');
    expect(ports.body).toMatchObject({
      service_name: 'web',
      ports: [{ port: base, service: 'web', name: 'main', container_port: 80, owner: 'ADMIN' }],
    });
  });

  it('applies limits, labels and hardening visible in docker inspect', () => {
    const info = inspectContainer(web.container_id)!;
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(info.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 5 });
    expect(info.HostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(base) }] });
    expect(info.Config.Labels).toEqual({
      team: 'docs',
      'io.mcp-proxy.managed': 'true',
      'io.mcp-proxy.owner': 'ADMIN',
      'io.mcp-proxy.service': 'web',
      'io.mcp-proxy.deployment': server.keyPrefix,
      'io.mcp-proxy.generation': expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(info.Config.Env).toContain('GREETING=hello');
  });

  it('returns real logs (tail and follow) and stats', async () => {
    expect((await fetchWhenUp(`http://127.0.0.1:${base}/logs-test-marker`)).status).toBe(404);
    // The engine's log copy trails the container's write a little: read until the line is there.
    const logs = await waitFor(
      "the request's response:404 line in the container log",
      () => server.api<{ lines: { stream: string; text: string }[] }>('GET', '/api/v1/services/web/logs?tail=50'),
      (res) => res.body.lines.some((l) => l.text.endsWith('response:404')),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(logs.status).toBe(200);
    // busybox httpd -vv logs each request's path and status to stderr.
    expect(logs.body.lines.filter((l) => l.text.includes('url:/logs-test-marker')).map((l) => l.stream)).toEqual([
      'stderr',
    ]);
    expect(logs.body.lines.some((l) => l.text.endsWith('response:404'))).toBe(true);
    const one = await server.api<{ lines: unknown[] }>('GET', '/api/v1/services/web/logs?tail=1');
    expect(one.body.lines).toHaveLength(1);

    const controller = new AbortController();
    const follow = await fetch(`${server.apiUrl}/api/v1/services/web/logs?tail=5&follow=true`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
      signal: controller.signal,
    });
    expect(follow.status).toBe(200);
    expect(follow.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const reader = follow.body!.getReader();
    await fetchWhenUp(`http://127.0.0.1:${base}/follow-test-marker`);
    let text = '';
    while (!text.includes('url:/follow-test-marker')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text).toContain('url:/follow-test-marker');
    controller.abort();

    const stats = await server.api<Record<string, number>>('GET', '/api/v1/services/web/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.memory_limit_bytes).toBe(64 * 1024 * 1024);
    expect(stats.body.memory_usage_bytes).toBeGreaterThan(0);
    expect(stats.body.pids).toBeGreaterThanOrEqual(1);
    expect(stats.body.network_rx_bytes).toBeGreaterThan(0);
    expect(stats.body.network_tx_bytes).toBeGreaterThan(0);
    expect(typeof stats.body.cpu_percent).toBe('number');
    expect(typeof stats.body.block_read_bytes).toBe('number');
  });

  it('stops, starts and restarts the container', async () => {
    expect((await server.api<Service>('POST', '/api/v1/services/web/stop')).body.status).toBe('exited');
    expect(inspectContainer(web.container_id)!.State.Running).toBe(false);
    expect((await server.api<Service>('POST', '/api/v1/services/web/start')).body.status).toBe('running');
    expect((await server.api<Service>('POST', '/api/v1/services/web/restart')).body.status).toBe('running');
    expect((await fetchWhenUp(`http://127.0.0.1:${base}/index.html`)).status).toBe(200);
  });

  it('refuses images off the allowlist (403) and invalid names or limits (400)', async () => {
    const denied = await server.api<ErrorBody>('POST', '/api/v1/services', {
      body: { service_name: 'evil', image: 'busybox:latest', internal_port: 80 },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe(
      'image "busybox:latest" is not allowed: it matches none of DOCKER_IMAGE_ALLOWLIST (mcp-test-busybox:*)',
    );
    const cases: [Record<string, unknown>, string][] = [
      [{ service_name: 'Bad_Name' }, 'service_name must be a DNS label'],
      [{ service_name: 'ok', memory_limit: 'lots' }, 'memory_limit must be a size such as 512m'],
      [{ service_name: 'ok', memory_limit: '1m' }, 'memory_limit must be between 6m and 1024g (got "1m")'],
      [{ service_name: 'ok', cpu_limit: 0 }, 'cpu_limit must be at least 0.01'],
      [
        { service_name: 'ok', restart_policy: 'sometimes' },
        'restart_policy must be one of no, always, unless-stopped, on-failure',
      ],
      [
        { service_name: 'ok', environment: { 'BAD-NAME': 'x' } },
        'environment: "BAD-NAME" is not a valid variable name',
      ],
      [
        { service_name: 'ok', labels: { 'io.mcp-proxy.owner': 'someone' } },
        'labels: keys starting with io.mcp-proxy. are set by the server',
      ],
      [{ service_name: 'external' }, 'service_name "external" is reserved'],
    ];
    for (const [fields, message] of cases) {
      const res = await server.api<ErrorBody>('POST', '/api/v1/services', {
        body: { image: TEST_IMAGE, internal_port: 80, ...fields },
      });
      expect({
        fields,
        status: res.status,
        message: res.body.message.includes(message) ? message : res.body.message,
      }).toEqual({ fields, status: 400, message });
    }
    expect(
      (
        await server.api('POST', '/api/v1/services', {
          body: { service_name: 'web', image: TEST_IMAGE, internal_port: 80 },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await server.api('POST', '/api/v1/services', {
          body: { service_name: 'ghost', image: 'mcp-test-busybox:absent', internal_port: 80 },
        })
      ).status,
    ).toBe(400);
    // Nothing was left behind by the refused requests.
    expect((await server.api<Service[]>('GET', '/api/v1/services')).body.map((s) => s.service_name)).toEqual(['web']);
    expect((await server.api<{ port: number }[]>('GET', '/api/v1/ports')).body.map((p) => p.port)).toEqual([base]);
  });

  it('auto_proxy publishes <name>.<BASE_DOMAIN> on the proxy; deleting the service removes it again', async () => {
    const created = await server.api<Service>('POST', '/api/v1/services', {
      body: { service_name: 'auto', image: TEST_IMAGE, command: HTTPD, internal_port: 80, auto_proxy: true },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      proxy_hostname: 'auto.example.test',
      auto_proxy: true,
      lifecycle: { state: 'proxied', reason: null },
    });
    const target = await server.api<{ hostname: string; target_url: string; owner: string }>(
      'GET',
      '/api/v1/proxy/targets/auto.example.test',
    );
    expect(target.body).toMatchObject({
      hostname: 'auto.example.test',
      target_url: created.body.target_url,
      owner: 'ADMIN',
    });

    const proxied = (path: string) => loopbackFetch(`http://auto.example.test:${server.httpPort}${path}`);
    await fetchWhenUp(`${created.body.target_url}/index.html`);
    const page = await proxied('/index.html');
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(TEST_PAGE);

    const deleted = await server.api('DELETE', '/api/v1/services/auto');
    expect(deleted.body).toMatchObject({ service_name: 'auto', container_removed: true, proxy: 'deleted' });
    expect((await server.api('GET', '/api/v1/proxy/targets/auto.example.test')).status).toBe(404);
    // The routing table follows the ConfigBus: the hostname is unknown to the proxy again.
    const gone = await waitFor(
      'the proxy to forget auto.example.test (value: status)',
      async () => (await proxied('/index.html')).status,
      (status) => status === 404,
      { timeoutMs: 5000, intervalMs: 50 },
    );
    expect(gone).toBe(404);
  });

  it('publishes an existing service later (POST /services/{name}/proxy) through the proxy', async () => {
    const published = await server.api<Service>('POST', '/api/v1/services/web/proxy');
    expect(published.status).toBe(200);
    expect(published.body.proxy_hostname).toBe('web.example.test');
    const page = await loopbackFetch(`http://web.example.test:${server.httpPort}/index.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(TEST_PAGE);
  });

  it('fails the lifecycle when the proxy cannot be published (hostname owned by another token): 409, no container, ports released', async () => {
    const name = `svc-other-${randomBytes(3).toString('hex')}`;
    const token = (await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name } })).body.token;
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          token,
          body: { hostname: 'taken.example.test', target_url: 'http://127.0.0.1:1', enable_https: false },
        })
      ).status,
    ).toBe(201);
    const portsBefore = (await server.api<{ port: number }[]>('GET', '/api/v1/ports')).body;
    const failed = await server.api<ErrorBody>('POST', '/api/v1/services', {
      body: { service_name: 'taken', image: TEST_IMAGE, command: HTTPD, internal_port: 80, auto_proxy: true },
    });
    expect(failed.status).toBe(409);
    expect(failed.body.message).toBe(
      'proxy target "taken.example.test" already exists and belongs to another token; delete it first or choose another service_name',
    );
    expect(inspectContainer(`mcp-${server.keyPrefix}-taken`)).toBeNull();
    expect((await server.api('GET', '/api/v1/ports')).body).toEqual(portsBefore);
    // The record stays, failed with the reason, until it is deleted.
    const record = await server.api<Service>('GET', '/api/v1/services/taken');
    expect(record.body).toMatchObject({
      status: 'missing',
      container_id: null,
      ports: [],
      proxy_hostname: null,
      lifecycle: { state: 'failed', reason: failed.body.message },
    });
    const again = await server.api<ErrorBody>('POST', '/api/v1/services', {
      body: { service_name: 'taken', image: TEST_IMAGE, internal_port: 80 },
    });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(
      `a service named "taken" already exists (it failed: ${failed.body.message}; delete it first)`,
    );
    const events = (
      await server.api<{ events: WorkflowEvent[] }>('GET', '/api/v1/workflow/events?type=container.failed')
    ).body.events.filter((e) => e.payload.service_name === 'taken');
    expect(events.map((e) => e.payload)).toEqual([
      { service_name: 'taken', generation: expect.any(String), step: 'proxy', error: failed.body.message },
    ]);
    expect((await server.api('DELETE', '/api/v1/services/taken')).body).toEqual({
      service_name: 'taken',
      container_removed: false,
      ports_released: [],
      proxy: 'none',
    });
    expect((await server.api('GET', '/api/v1/services/taken')).status).toBe(404);
    // The other token's target is untouched.
    expect((await server.api('GET', '/api/v1/proxy/targets/taken.example.test', { token })).body).toMatchObject({
      owner: name,
      target_url: 'http://127.0.0.1:1',
    });
    await server.api('DELETE', `/api/v1/tokens/${name}`);
  });

  it('fails the lifecycle when the container cannot start (unknown user): reason kept, no container left', async () => {
    const failed = await server.api<ErrorBody>('POST', '/api/v1/services', {
      body: { service_name: 'baduser', image: TEST_IMAGE, command: HTTPD, internal_port: 80, user: 'nosuchuser' },
    });
    expect({ status: failed.status, message: failed.body.message }).toEqual({
      status: FAILED_START_STATUS,
      message: expect.stringContaining('unable to find user nosuchuser'),
    });
    expect(failed.body.message).toMatch(/^Docker Engine: /);
    expect(
      docker([
        'ps',
        '-aq',
        '--filter',
        `label=io.mcp-proxy.deployment=${server.keyPrefix}`,
        '--filter',
        'label=io.mcp-proxy.service=baduser',
      ]).stdout.trim(),
    ).toBe('');
    const record = (await server.api<Service>('GET', '/api/v1/services/baduser')).body;
    expect(record).toMatchObject({
      container_id: null,
      ports: [],
      lifecycle: { state: 'failed', reason: failed.body.message },
    });
    expect((await server.api<{ port: number }[]>('GET', '/api/v1/ports')).body.map((p) => p.port)).toEqual([base]);
    const types = (
      await server.api<{ events: WorkflowEvent[] }>('GET', '/api/v1/workflow/events?limit=500')
    ).body.events
      .filter((e) => e.payload.service_name === 'baduser')
      .map((e) => e.type);
    expect(types).toEqual(['container.failed', 'container.requested']);
    expect((await server.api('DELETE', '/api/v1/services/baduser')).status).toBe(200);
  });

  it('answers 202 with the requested service for wait=0; the bus starts it and lists its events', async () => {
    const accepted = await server.api<Service>('POST', '/api/v1/services?wait=0', {
      body: { service_name: 'later', image: TEST_IMAGE, command: HTTPD, internal_port: 80 },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      service_name: 'later',
      container_id: null,
      lifecycle: { state: 'requested', reason: null },
    });
    expect(accepted.body.ports).toHaveLength(1);
    const current = await waitFor(
      'the bus to start the service (state past requested)',
      async () => (await server.api<Service>('GET', '/api/v1/services/later')).body,
      (s) => s.lifecycle.state !== 'requested',
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(current).toMatchObject({ status: 'running', lifecycle: { state: 'started', reason: null } });
    const events = (
      await server.api<{ events: WorkflowEvent[] }>('GET', '/api/v1/workflow/events?limit=500')
    ).body.events.filter((e) => e.payload.service_name === 'later');
    expect(events.map((e) => e.type)).toEqual(['container.started', 'container.requested']);
    expect(events[0].payload).toMatchObject({
      container_id: current.container_id,
      container_name: `mcp-${server.keyPrefix}-later`,
    });
    expect(
      (
        await server.api<ErrorBody>('POST', '/api/v1/services?wait=121', {
          body: { service_name: 'x', image: TEST_IMAGE },
        })
      ).body.message,
    ).toContain('wait must be 0-120 seconds');
    const deleted = await server.api('DELETE', '/api/v1/services/later');
    expect(deleted.body).toMatchObject({ service_name: 'later', container_removed: true, proxy: 'none' });
    expect(
      (
        await server.api<{ events: WorkflowEvent[] }>('GET', '/api/v1/workflow/events?type=container.deleted')
      ).body.events.filter((e) => e.payload.service_name === 'later'),
    ).toHaveLength(1);
    expect((await server.api<{ port: number }[]>('GET', '/api/v1/ports')).body.map((p) => p.port)).toEqual([base]);
  });

  it('keeps services to their owner and 0.0.0.0 to the admin', async () => {
    const name = `svc-user-${randomBytes(3).toString('hex')}`;
    const token = (await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name } })).body.token;
    expect((await server.api('GET', '/api/v1/services/web', { token })).status).toBe(403);
    expect((await server.api('POST', '/api/v1/services/web/stop', { token })).status).toBe(403);
    expect((await server.api('GET', '/api/v1/services', { token })).body).toEqual([]);
    const exposed = await server.api<ErrorBody>('POST', '/api/v1/services', {
      token,
      body: { service_name: 'pub', image: TEST_IMAGE, internal_port: 80, bind_address: '0.0.0.0' },
    });
    expect(exposed.status).toBe(403);
    const caps = await server.api<ErrorBody>('POST', '/api/v1/services', {
      token,
      body: { service_name: 'caps', image: TEST_IMAGE, internal_port: 80, capabilities: ['NET_ADMIN'] },
    });
    expect(caps.status).toBe(403);
    const own = await server.api<Service>('POST', '/api/v1/services', {
      token,
      body: { service_name: 'mine', image: TEST_IMAGE, command: HTTPD, internal_port: 80 },
    });
    expect(own.status).toBe(201);
    expect(own.body.owner).toBe(name);
    expect((await server.api<Service[]>('GET', '/api/v1/services', { token })).body.map((s) => s.service_name)).toEqual(
      ['mine'],
    );
    expect((await server.api<Service[]>('GET', '/api/v1/services')).body.map((s) => s.service_name)).toEqual([
      'mine',
      'web',
    ]);
    // Deleting the token deletes its service: container and port go too.
    expect((await server.api('DELETE', `/api/v1/tokens/${name}`)).body).toMatchObject({ deleted: { services: 1 } });
    expect(inspectContainer(own.body.container_id)).toBeNull();
    expect((await server.api<{ port: number }[]>('GET', '/api/v1/ports')).body.map((p) => p.port)).toEqual([base]);
  });

  it('adds and removes a published port by recreating the container', async () => {
    const added = await server.api<{ port: number; name: string }>('POST', '/api/v1/services/web/ports', {
      body: { name: 'alt', container: 80 },
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: 'alt', service: 'web' });
    const alt = added.body.port;
    expect((await fetchWhenUp(`http://127.0.0.1:${alt}/index.html`)).status).toBe(200);
    web = (await server.api<Service>('GET', '/api/v1/services/web')).body;
    expect(web.status).toBe('running');
    expect(Object.keys(inspectContainer(web.container_id)!.HostConfig.PortBindings)).toEqual(['80/tcp']);
    expect(inspectContainer(web.container_id)!.HostConfig.PortBindings['80/tcp']).toHaveLength(2);
    expect((await server.api('DELETE', '/api/v1/services/web/ports/alt')).status).toBe(200);
    web = (await server.api<Service>('GET', '/api/v1/services/web')).body;
    expect(web.ports.map((p) => p.host_port)).toEqual([base]);
    expect((await server.api<{ port: number }[]>('GET', '/api/v1/ports')).body.map((p) => p.port)).toEqual([base]);
  });

  it('reports orphan containers and vanished ones, and cleans them up on request', async () => {
    // An orphan: labelled as this deployment's, unknown to Redis.
    const orphan = docker([
      'create',
      '--name',
      `mcp-${server.keyPrefix}-orphan`,
      '--label',
      'io.mcp-proxy.managed=true',
      '--label',
      `io.mcp-proxy.deployment=${server.keyPrefix}`,
      '--label',
      'io.mcp-proxy.service=orphan',
      TEST_IMAGE,
      '/bin/sleep',
      '60',
    ]);
    expect(orphan.stderr).toBe('');
    const orphanId = orphan.stdout.trim();
    // A vanished one: the record stays, its container is removed behind the server's back.
    const gone = await server.api<Service>('POST', '/api/v1/services', {
      body: { service_name: 'gone', image: TEST_IMAGE, command: HTTPD, internal_port: 80 },
    });
    expect(gone.status).toBe(201);
    expect(docker(['rm', '-f', gone.body.container_id]).status).toBe(0);

    const report = await server.api<Record<string, unknown>>('GET', '/api/v1/services/reconciliation');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      orphan_containers: [
        {
          container_id: orphanId,
          container_name: `mcp-${server.keyPrefix}-orphan`,
          service_name: 'orphan',
          owner: null,
          state: 'created',
        },
      ],
      vanished_containers: [{ service_name: 'gone', owner: 'ADMIN', container_id: gone.body.container_id }],
      orphan_ports: [],
    });
    expect((await server.api<Service>('GET', '/api/v1/services/gone')).body.status).toBe('missing');

    const cleaned = await server.api<Record<string, unknown>>('POST', '/api/v1/services/cleanup');
    expect(cleaned.status).toBe(200);
    expect(cleaned.body).toMatchObject({
      removed_containers: [`mcp-${server.keyPrefix}-orphan`],
      deleted_services: ['gone'],
      released_ports: [gone.body.ports[0].host_port],
    });
    expect(inspectContainer(orphanId)).toBeNull();
    expect((await server.api('GET', '/api/v1/services/gone')).status).toBe(404);
    expect((await server.api('GET', '/api/v1/services/reconciliation')).body).toMatchObject({
      orphan_containers: [],
      vanished_containers: [],
      orphan_ports: [],
    });
  });

  it('registers external services (a URL, not a container) sharing the service names', async () => {
    const created = await server.api('POST', '/api/v1/services/external', {
      body: { service_name: 'docs', target_url: 'http://127.0.0.1:8080', description: 'docs site' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      service_name: 'docs',
      type: 'external',
      target_url: 'http://127.0.0.1:8080',
      owner: 'ADMIN',
    });
    expect(
      (
        await server.api('POST', '/api/v1/services/external', {
          body: { service_name: 'web', target_url: 'http://127.0.0.1:1' },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await server.api('POST', '/api/v1/services', {
          body: { service_name: 'docs', image: TEST_IMAGE, internal_port: 80 },
        })
      ).status,
    ).toBe(409);
    expect(
      (await server.api('POST', '/api/v1/services/external', { body: { service_name: 'x', target_url: 'ftp://nope' } }))
        .status,
    ).toBe(400);
    expect((await server.api<unknown[]>('GET', '/api/v1/services/external')).body).toHaveLength(1);
    // External services are entries of the instances registry (routes can target them by name).
    expect((await server.api('GET', '/api/v1/instances/docs')).body).toMatchObject({
      name: 'docs',
      target_url: 'http://127.0.0.1:8080',
      description: 'docs site',
      owner: 'ADMIN',
    });
    expect((await server.api('DELETE', '/api/v1/services/external/docs')).status).toBe(200);
    expect((await server.api<unknown[]>('GET', '/api/v1/services/external')).body).toEqual([]);
    expect((await server.api('GET', '/api/v1/instances/docs')).status).toBe(404);
  });

  it('deletes the service: container and port allocation are gone', async () => {
    const deleted = await server.api('DELETE', '/api/v1/services/web');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({
      service_name: 'web',
      container_removed: true,
      ports_released: [base],
      proxy: 'deleted',
    });
    expect((await server.api('GET', '/api/v1/proxy/targets/web.example.test')).status).toBe(404);
    expect(inspectContainer(web.container_id)).toBeNull();
    expect((await server.api('GET', '/api/v1/ports')).body).toEqual([]);
    expect((await server.api('GET', '/api/v1/services/web')).status).toBe(404);
    await expect(fetch(`http://127.0.0.1:${base}/index.html`)).rejects.toThrow();
    expect((await server.api('DELETE', '/api/v1/services/web')).status).toBe(404);
  });
});
