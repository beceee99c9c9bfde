import { DockerApiGate } from '../support/docker-api-gate';
import {
  docker,
  ensureDockerEngine,
  ensureTestImage,
  removeDeploymentContainers,
  TEST_IMAGE,
  TEST_PAGE,
} from '../support/docker-engine';
import { loopbackFetch } from '../support/loopback-fetch';
import { ServerProcess } from '../support/server-process';
import { testRedisClient, type TestRedisClient } from '../support/test-redis';
import { waitFor } from '../support/wait';

jest.setTimeout(120_000);

interface Lifecycle {
  state: string;
  reason: string | null;
}
interface Service {
  service_name: string;
  status: string;
  container_id: string | null;
  target_url: string | null;
  proxy_hostname: string | null;
  lifecycle: Lifecycle;
}
interface WorkflowEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  origin: string;
}

const HTTPD = ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'];
/** The container start request of the engine API (dockerode: POST /v1.xx/containers/<id>/start). */
const START_REQUEST = /^POST \S*\/containers\/[^/\s]+\/start[?\s]/;

/** How long a container start, a takeover or a routing change may take to show. */
const SETTLE = { timeoutMs: 30_000, intervalMs: 100 };

/** `docker ps -a` rows of the deployment's containers of one service: id and state. */
function containersOf(deployment: string, service: string): { id: string; state: string }[] {
  const out = docker([
    'ps',
    '-a',
    '--no-trunc',
    '--filter',
    `label=io.mcp-proxy.deployment=${deployment}`,
    '--filter',
    `label=io.mcp-proxy.service=${service}`,
    '--format',
    '{{.ID}} {{.State}}',
  ]);
  expect(out.status).toBe(0);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ id: line.split(' ')[0], state: line.split(' ')[1] }));
}

/**
 * Two replicas on one Redis run the Docker service lifecycle on the workflow bus. Both reach the
 * engine through a DockerApiGate (the real engine API on a loopback TCP port) so the test can hold a
 * worker's container start in flight and kill the replica holding it.
 */
describe('Docker services on the workflow bus across two replicas', () => {
  const base = 12000 + Math.floor(Math.random() * 80) * 100;
  let gate: DockerApiGate;
  let replicas: ServerProcess[] = [];
  let redis: TestRedisClient;
  const live = () => replicas.filter((r) => r.pid !== undefined);

  beforeAll(async () => {
    await ensureDockerEngine();
    ensureTestImage();
    redis = testRedisClient();
    gate = await DockerApiGate.start();
    const env = {
      DOCKER_HOST: gate.dockerHost,
      DOCKER_IMAGE_ALLOWLIST: 'mcp-test-busybox:*',
      PORTS_INTERNAL_RANGE: `${base}-${base + 49}`,
      PORTS_EXPOSED_RANGE: `${base + 50}-${base + 99}`,
      DOCKER_RECONCILE_SECONDS: '3600',
      WORKFLOW_CLAIM_TIMEOUT_MS: '3000',
      WORKFLOW_RETRY_BASE_MS: '300',
    };
    const first = await ServerProcess.start({ env });
    replicas = [first, await ServerProcess.start({ env, keyPrefix: first.keyPrefix })];
  });

  afterAll(async () => {
    if (replicas[0]) removeDeploymentContainers(replicas[0].keyPrefix);
    await Promise.all(replicas.map((r) => r.stop()));
    await gate?.close();
    redis?.disconnect();
  });

  it('starts a service created through replica A exactly once, and replica B serves its proxy target', async () => {
    const [a, b] = replicas;
    const created = await a.api<Service>('POST', '/api/v1/services', {
      body: { service_name: 'shared', image: TEST_IMAGE, command: HTTPD, internal_port: 80, auto_proxy: true },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      service_name: 'shared',
      status: 'running',
      proxy_hostname: 'shared.example.test',
      lifecycle: { state: 'proxied', reason: null },
    });
    const containers = containersOf(a.keyPrefix, 'shared');
    expect(containers).toEqual([{ id: created.body.container_id, state: 'running' }]);

    expect((await b.api<Service>('GET', '/api/v1/services/shared')).body).toMatchObject({
      container_id: created.body.container_id,
      lifecycle: { state: 'proxied', reason: null },
    });
    // B's routing table follows the ConfigBus; the container's httpd may need a moment to listen.
    const page = await waitFor(
      "replica B to proxy shared.example.test to the container's page",
      async () => {
        const res = await loopbackFetch(`http://shared.example.test:${b.httpPort}/index.html`);
        return { status: res.status, text: await res.text() };
      },
      (r) => r.status === 200,
      SETTLE,
    );
    expect(page).toEqual({ status: 200, text: TEST_PAGE });

    const events = (
      await b.api<{ events: WorkflowEvent[] }>('GET', '/api/v1/workflow/events?limit=200')
    ).body.events.filter((e) => e.payload.service_name === 'shared');
    expect(events.map((e) => e.type).sort()).toEqual(['container.proxied', 'container.requested', 'container.started']);
    expect(containersOf(a.keyPrefix, 'shared')).toHaveLength(1);
  });

  it('a replica killed while starting the container: the other takes the event over and still makes one container', async () => {
    const stream = `{${replicas[0].keyPrefix}}:workflow:events`;
    gate.hold(START_REQUEST);
    const accepted = await replicas[0].api<Service>('POST', '/api/v1/services?wait=0', {
      body: { service_name: 'takeover', image: TEST_IMAGE, command: HTTPD, internal_port: 80 },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      service_name: 'takeover',
      container_id: null,
      lifecycle: { state: 'requested', reason: null },
    });

    // The worker created the container and its start request is held at the gate.
    await waitFor(
      'the container start request held at the gate',
      () => gate.held,
      (held) => held.length === 1,
      { ...SETTLE, timeoutMs: 20_000 },
    );
    expect(gate.held).toHaveLength(1);
    const made = containersOf(replicas[0].keyPrefix, 'takeover');
    expect(made).toEqual([{ id: expect.stringMatching(/^[0-9a-f]{64}$/), state: 'created' }]);
    const pending = (await redis.xpending(stream, 'containers', '-', '+', 10)) as [string, string, number, number][];
    expect(pending).toHaveLength(1);
    const holderName = pending[0][1];
    const holder = replicas.find((r) => r.pid !== undefined && holderName.includes(`-${r.pid}-`));
    expect(holder).toBeDefined();
    await holder!.stop('SIGKILL');
    // Its connection closes and the held request is dropped: the engine never starts the container for it.
    expect(
      await waitFor(
        'the gate to drop the held request (value: requests held)',
        () => gate.holding,
        (n) => n === 0,
        { ...SETTLE, timeoutMs: 10_000 },
      ),
    ).toBe(0);
    gate.release(); // the survivor's calls pass

    const survivor = live()[0];
    const done = await waitFor(
      'the survivor to take the service over (state past requested)',
      async () => (await survivor.api<Service>('GET', '/api/v1/services/takeover')).body,
      (s) => s.lifecycle.state !== 'requested',
      SETTLE,
    );
    expect(done).toMatchObject({
      lifecycle: { state: 'started', reason: null },
      status: 'running',
      container_id: made[0].id,
    });
    // Exactly one container: the one the dead replica made, started by the survivor.
    expect(containersOf(survivor.keyPrefix, 'takeover')).toEqual([{ id: made[0].id, state: 'running' }]);
    const page = await waitFor(
      "the container's httpd to serve its page",
      async () =>
        fetch(`${done.target_url}/index.html`).then(async (r) => ({ status: r.status, text: await r.text() })),
      (r) => r.status === 200,
      SETTLE,
    );
    expect(page).toEqual({ status: 200, text: TEST_PAGE });

    const started = (
      await survivor.api<{ events: WorkflowEvent[] }>('GET', '/api/v1/workflow/events?type=container.started')
    ).body.events.filter((e) => e.payload.service_name === 'takeover');
    expect(started).toHaveLength(1);
    expect(started[0].origin).not.toBe(holderName);
    const after = await waitFor(
      'nothing pending in the containers group',
      async () => (await redis.xpending(stream, 'containers', '-', '+', 10)) as unknown[],
      (p) => p.length === 0,
      { ...SETTLE, timeoutMs: 10_000 },
    );
    expect(after).toEqual([]);
    expect(
      (await survivor.api<{ dead_letters: unknown[] }>('GET', '/api/v1/workflow/dead-letters')).body.dead_letters,
    ).toEqual([]);

    const deleted = await survivor.api('DELETE', '/api/v1/services/takeover');
    expect(deleted.body).toMatchObject({ service_name: 'takeover', container_removed: true, proxy: 'none' });
    expect(containersOf(survivor.keyPrefix, 'takeover')).toEqual([]);
  });
});
