import { Logger } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { Conflict, DomainError } from '@app/http';
import type { PortsService } from '@app/ports';
import { RetryLater, type EventBus, type WorkflowEvent } from '@app/workflow';
import type { ServiceContainers } from './service-containers';
import type { ServiceLifecycle } from './service-lifecycle';
import { ContainerProxyWorker } from './container-proxy.worker';
import { ContainerStartWorker } from './container-start.worker';
import { isPermanent, ServiceSteps } from './service-steps';
import type { ServiceProxyPublisher } from './service-proxy.publisher';
import type { ServiceRecord } from './service.record';
import type { ServicesRepository } from './services.repository';

const record = (overrides: Partial<ServiceRecord> = {}): ServiceRecord => ({
  name: 'web',
  owner: 'alice',
  image: 'busybox:1',
  environment: {},
  labels: {},
  restart_policy: 'unless-stopped',
  read_only_root: true,
  cap_drop: ['ALL'],
  capabilities: [],
  internal_port: 80,
  ports: [{ name: 'main', container_port: 80, host_port: 9001, bind_address: '127.0.0.1', protocol: 'tcp' }],
  container_name: 'mcp-test-web',
  lifecycle: { state: 'requested', reason: null },
  generation: 'g1',
  auto_proxy: true,
  start: true,
  created_at: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

/**
 * The workers on in-memory stand-ins: the record store, an engine that holds containers by name (as
 * Docker does: names are unique), the ports, the proxy seam and the bus (published events kept).
 */
function setup(initial: ServiceRecord | null, options: { maxAttempts?: number; lockHeld?: boolean } = {}) {
  let stored: ServiceRecord | null = initial ? structuredClone(initial) : null;
  const engine = new Map<string, { id: string; generation: string; running: boolean }>();
  const calls = { creates: 0, starts: 0, publishes: 0, removes: 0 };
  const published: { type: string; payload: Record<string, unknown> }[] = [];
  const dedupe = new Set<string>();
  const released: number[] = [];
  let startError: Error | null = null;
  let publishError: Error | null = null;
  const subscriptions: { group: string; types: readonly string[] }[] = [];

  const containers = {
    ensure: (r: ServiceRecord, start: boolean) => {
      const existing = engine.get(r.container_name);
      if (existing && existing.generation === r.generation) {
        if (start && !existing.running) {
          calls.starts++;
          if (startError) return Promise.reject(startError);
          existing.running = true;
        }
        return Promise.resolve(existing.id);
      }
      calls.creates++;
      const made = { id: `id-${calls.creates}`, generation: r.generation, running: false };
      engine.set(r.container_name, made);
      if (start) {
        calls.starts++;
        if (startError) return Promise.reject(startError);
        made.running = true;
      }
      return Promise.resolve(made.id);
    },
    removeOwn: (r: ServiceRecord) => {
      calls.removes++;
      const existing = engine.get(r.container_name);
      if (!existing || existing.generation !== r.generation) return Promise.resolve(false);
      engine.delete(r.container_name);
      return Promise.resolve(true);
    },
  } as unknown as ServiceContainers;
  const repository = {
    find: (name: string) => Promise.resolve(stored && stored.name === name ? structuredClone(stored) : null),
    update: (r: ServiceRecord) => {
      if (!stored) return Promise.resolve(false);
      stored = structuredClone(r);
      return Promise.resolve(true);
    },
  } as unknown as ServicesRepository;
  const ports = {
    forService: () =>
      Promise.resolve(
        (stored?.ports ?? []).filter((p) => !released.includes(p.host_port)).map((p) => ({ port: p.host_port })),
      ),
    release: (list: number[]) => Promise.resolve(void released.push(...list)),
  } as unknown as PortsService;
  const lifecycle = {
    tryWithLock: async (_name: string, work: () => Promise<unknown>) =>
      options.lockHeld ? null : { value: await work() },
    announce: (type: string, r: ServiceRecord, payload: Record<string, unknown>) => {
      const key = `${type}:${r.name}:${r.generation}`;
      if (!dedupe.has(key))
        published.push({ type, payload: { service_name: r.name, generation: r.generation, ...payload } });
      dedupe.add(key);
      return Promise.resolve();
    },
  } as unknown as ServiceLifecycle;
  const proxy = {
    publish: () => {
      calls.publishes++;
      return publishError ? Promise.reject(publishError) : Promise.resolve();
    },
    unpublish: () => Promise.resolve(),
  } as unknown as ServiceProxyPublisher;
  const config = {
    workflow: { maxAttempts: options.maxAttempts ?? 3 },
    baseDomain: 'example.test',
  } as unknown as AppConfig;
  const bus = {
    subscribe: (s: { group: string; types: readonly string[] }) => subscriptions.push(s),
  } as unknown as EventBus;
  const steps = new ServiceSteps(repository, lifecycle, containers, ports, config);
  const starter = new ContainerStartWorker(bus, steps, repository, containers, lifecycle);
  const proxier = new ContainerProxyWorker(bus, steps, repository, lifecycle, proxy, config);
  // The two workers of the lifecycle, as the bus drives them.
  const worker = {
    onModuleInit: () => {
      starter.onModuleInit();
      proxier.onModuleInit();
    },
    handleRequested: (e: WorkflowEvent) => starter.handleRequested(e),
    handleStarted: (e: WorkflowEvent) => proxier.handleStarted(e),
  };
  return {
    worker,
    engine,
    calls,
    published,
    released,
    subscriptions,
    stored: () => stored,
    setStored: (r: ServiceRecord | null) => void (stored = r),
    failStart: (e: Error | null) => void (startError = e),
    failPublish: (e: Error | null) => void (publishError = e),
  };
}

const event = (type: string, payload: Record<string, unknown>, attempt = 1): WorkflowEvent => ({
  id: '1-0',
  type,
  payload,
  published_at: '2026-01-01T00:00:00.000Z',
  origin: 'test',
  attempt,
});
const requested = (attempt = 1, generation = 'g1') =>
  event('container.requested', { service_name: 'web', generation }, attempt);
const started = (attempt = 1) => event('container.started', { service_name: 'web', generation: 'g1' }, attempt);

describe('Service lifecycle workers (container.requested → started → proxied)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('subscribes one group per kind of worker', () => {
    const t = setup(null);
    t.worker.onModuleInit();
    expect(t.subscriptions).toMatchObject([
      { group: 'containers', types: ['container.requested'] },
      { group: 'container-proxy', types: ['container.started'] },
    ]);
  });

  it('makes and starts one container, and a redelivered event makes no second one', async () => {
    const t = setup(record());
    await t.worker.handleRequested(requested());
    expect(t.stored()).toMatchObject({ container_id: 'id-1', lifecycle: { state: 'started', reason: null } });
    await t.worker.handleRequested(requested());
    expect(t.calls).toMatchObject({ creates: 1, starts: 1 });
    expect(t.published.map((p) => p.type)).toEqual(['container.started']);
    expect(t.published[0].payload).toMatchObject({ service_name: 'web', generation: 'g1', container_id: 'id-1' });
  });

  it('after a replica died between creating and recording, the takeover reuses the container it made', async () => {
    const t = setup(record());
    t.engine.set('mcp-test-web', { id: 'made-by-the-dead-one', generation: 'g1', running: false });
    await t.worker.handleRequested(requested(2));
    expect(t.calls).toMatchObject({ creates: 0, starts: 1 });
    expect(t.stored()).toMatchObject({ container_id: 'made-by-the-dead-one', lifecycle: { state: 'started' } });
  });

  it('announces container.started again when the record says started but the replica died before announcing', async () => {
    const t = setup(record({ lifecycle: { state: 'started', reason: null }, container_id: 'id-9' }));
    await t.worker.handleRequested(requested());
    expect(t.calls.creates).toBe(0);
    expect(t.published.map((p) => p.type)).toEqual(['container.started']);
  });

  it('changes nothing for a deleted service or another generation of the name', async () => {
    const gone = setup(null);
    await gone.worker.handleRequested(requested());
    expect(gone.calls.creates).toBe(0);
    const again = setup(record({ generation: 'g2' }));
    await again.worker.handleRequested(requested(1, 'g1'));
    expect(again.calls.creates).toBe(0);
    expect(again.stored()!.lifecycle.state).toBe('requested');
    expect(again.published).toEqual([]);
  });

  it('asks the bus to retry later while another replica holds the service lock', async () => {
    const t = setup(record(), { lockHeld: true });
    await expect(t.worker.handleRequested(requested())).rejects.toBeInstanceOf(RetryLater);
    expect(t.calls.creates).toBe(0);
  });

  it('fails at once when the engine refuses to start it: no container, ports released, reason kept', async () => {
    const t = setup(record());
    t.failStart(
      Object.assign(
        new Error('(HTTP code 500) server error - unable to find user nobody: no matching entries in passwd file'),
        { statusCode: 500, json: { message: 'unable to find user nobody: no matching entries in passwd file' } },
      ),
    );
    await t.worker.handleRequested(requested(1));
    expect(t.stored()).toMatchObject({
      lifecycle: {
        state: 'failed',
        reason: 'Docker Engine: unable to find user nobody: no matching entries in passwd file',
        error_code: 'internal',
      },
      ports: [],
    });
    expect(t.stored()!.container_id).toBeUndefined();
    expect(t.engine.size).toBe(0);
    expect(t.released).toEqual([9001]);
    expect(t.published).toEqual([
      {
        type: 'container.failed',
        payload: {
          service_name: 'web',
          generation: 'g1',
          step: 'start',
          error: 'Docker Engine: unable to find user nobody: no matching entries in passwd file',
        },
      },
    ]);
    // A redelivery of the request changes nothing more.
    await t.worker.handleRequested(requested(1));
    expect(t.calls.creates).toBe(1);
    expect(t.published).toHaveLength(1);
  });

  it('leaves an outage to the bus retries, and fails on the last attempt', async () => {
    const t = setup(record(), { maxAttempts: 3 });
    const outage = new DomainError(
      'unavailable',
      'Docker Engine unreachable at unix:///var/run/docker.sock: ECONNREFUSED (connect ECONNREFUSED)',
    );
    t.failStart(outage);
    await expect(t.worker.handleRequested(requested(1))).rejects.toBe(outage);
    await expect(t.worker.handleRequested(requested(2))).rejects.toBe(outage);
    expect(t.stored()!.lifecycle.state).toBe('requested');
    await t.worker.handleRequested(requested(3));
    expect(t.stored()!.lifecycle).toMatchObject({ state: 'failed', error_code: 'unavailable' });
    expect(t.engine.size).toBe(0);
    expect(t.calls.creates).toBe(1); // the retries found the container the first attempt made
  });

  it('publishes the proxy once it runs and moves to proxied; a redelivery publishes nothing more', async () => {
    const t = setup(record({ lifecycle: { state: 'started', reason: null }, container_id: 'id-1' }));
    await t.worker.handleStarted(started());
    expect(t.stored()).toMatchObject({
      proxy_hostname: 'web.example.test',
      lifecycle: { state: 'proxied', reason: null },
    });
    await t.worker.handleStarted(started());
    expect(t.calls.publishes).toBe(1);
    expect(t.published).toEqual([
      {
        type: 'container.proxied',
        payload: {
          service_name: 'web',
          generation: 'g1',
          hostname: 'web.example.test',
          target_url: 'http://127.0.0.1:9001',
        },
      },
    ]);
  });

  it('does not proxy services without auto_proxy', async () => {
    const t = setup(record({ auto_proxy: false, lifecycle: { state: 'started', reason: null }, container_id: 'id-1' }));
    await t.worker.handleStarted(started());
    expect(t.calls.publishes).toBe(0);
    expect(t.stored()!.lifecycle.state).toBe('started');
  });

  it('a hostname of another token fails the service (409 kept) and removes its container, never the other target', async () => {
    const t = setup(record({ lifecycle: { state: 'started', reason: null }, container_id: 'id-1' }));
    t.engine.set('mcp-test-web', { id: 'id-1', generation: 'g1', running: true });
    t.failPublish(Conflict('proxy target "web.example.test" already exists and belongs to another token'));
    await t.worker.handleStarted(started());
    expect(t.stored()).toMatchObject({
      lifecycle: {
        state: 'failed',
        reason: 'proxy target "web.example.test" already exists and belongs to another token',
        error_code: 'conflict',
      },
    });
    expect(t.stored()!.proxy_hostname).toBeUndefined();
    expect(t.engine.size).toBe(0);
    expect(t.released).toEqual([9001]);
  });

  it('tells answers from outages', () => {
    expect(isPermanent(Conflict('x'))).toBe(true);
    expect(isPermanent(new DomainError('unavailable', 'down'))).toBe(false);
    expect(isPermanent(Object.assign(new Error('engine said no'), { statusCode: 500 }))).toBe(true);
    expect(isPermanent(new Error('Connection is closed.'))).toBe(false);
  });
});
