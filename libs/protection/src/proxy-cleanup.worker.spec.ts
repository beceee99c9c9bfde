import type { ClientsService } from '@app/oauth';
import type { ProxyTargetRecord, ProxyTargetsService } from '@app/proxy-targets';
import type { EventBus, WorkflowEvent } from '@app/workflow';
import { ProxyCleanupWorker } from './proxy-cleanup.worker';
import type { ResourceRecord, ResourcesRepository } from '@app/resources';

const resource = (id: string, proxyTarget: string, createdAt: string, updatedAt?: string): ResourceRecord => ({
  id,
  uri: `https://${proxyTarget}/${id}`,
  name: id,
  proxy_target: proxyTarget,
  scopes: ['mcp:read'],
  description: '',
  owner: 'admin',
  created_at: createdAt,
  ...(updatedAt ? { updated_at: updatedAt } : {}),
});

/** The worker on in-memory stand-ins of the registry, the targets and the OAuth clients. */
function setup(targets: Partial<ProxyTargetRecord>[], records: ResourceRecord[], clientIds: string[]) {
  const registry = new Map(records.map((r) => [r.id, r]));
  const clients = new Set(clientIds);
  const subscriptions: unknown[] = [];
  const worker = new ProxyCleanupWorker(
    { subscribe: (s: unknown) => subscriptions.push(s) } as unknown as EventBus,
    {
      list: () => Promise.resolve([...registry.values()]),
      delete: (rs: ResourceRecord[]) => Promise.resolve(void rs.forEach((r) => registry.delete(r.id))),
    } as unknown as ResourcesRepository,
    { all: () => Promise.resolve(targets as ProxyTargetRecord[]) } as unknown as ProxyTargetsService,
    { delete: (id: string) => Promise.resolve(clients.delete(id)) } as unknown as ClientsService,
  );
  return { worker, registry, clients, subscriptions };
}

const deleted = (payload: Record<string, unknown>): WorkflowEvent => ({
  id: '1-0',
  type: 'proxy.deleted',
  payload,
  published_at: '2026-01-02T00:00:00.000Z',
  origin: 'test',
  attempt: 1,
});

describe('ProxyCleanupWorker (proxy.deleted → registry entries and redirect client removed)', () => {
  it('subscribes its own group to proxy.deleted only', () => {
    const { worker, subscriptions } = setup([], [], []);
    worker.onModuleInit();
    expect(subscriptions).toMatchObject([{ group: 'proxy-cleanup', types: ['proxy.deleted'] }]);
  });

  it('removes every entry of the deleted hostname and its redirect client, and a redelivery changes nothing more', async () => {
    const { worker, registry, clients } = setup(
      [{ hostname: 'other.example.test', created_at: '2026-01-01T00:00:00.000Z' }],
      [
        resource('a', 'gone.example.test', '2026-01-01T00:00:00.000Z'),
        resource('b', 'gone.example.test', '2026-01-01T00:00:01.000Z'),
        resource('c', 'other.example.test', '2026-01-01T00:00:00.000Z'),
      ],
      ['client_gone', 'client_other'],
    );
    const event = deleted({
      hostname: 'gone.example.test',
      created_at: '2026-01-01T00:00:00.000Z',
      auth: { enabled: true, mode: 'redirect', redirect_client_id: 'client_gone' },
    });
    await worker.handle(event);
    expect([...registry.keys()]).toEqual(['c']);
    expect([...clients]).toEqual(['client_other']);
    await worker.handle(event);
    expect([...registry.keys()]).toEqual(['c']);
    expect([...clients]).toEqual(['client_other']);
  });

  it('keeps the entries of a hostname created again before the event is handled', async () => {
    const recreatedAt = '2026-01-03T00:00:00.000Z';
    const { worker, registry, clients } = setup(
      [
        {
          hostname: 'again.example.test',
          created_at: recreatedAt,
          auth: { enabled: true, mode: 'redirect', redirect_client_id: 'client_new' },
        },
      ],
      [
        resource('old', 'again.example.test', '2026-01-01T00:00:00.000Z'),
        resource('old-updated', 'again.example.test', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
        resource('new', 'again.example.test', '2026-01-03T00:00:01.000Z'),
        // Registered on the old target long ago, moved to the new one after its creation: the new target's.
        resource('moved', 'again.example.test', '2025-12-01T00:00:00.000Z', '2026-01-03T00:00:02.000Z'),
      ],
      ['client_old', 'client_new'],
    );
    await worker.handle(
      deleted({
        hostname: 'again.example.test',
        created_at: '2026-01-01T00:00:00.000Z',
        auth: { enabled: true, mode: 'redirect', redirect_client_id: 'client_old' },
      }),
    );
    expect([...registry.keys()].sort()).toEqual(['moved', 'new']);
    expect([...clients]).toEqual(['client_new']);
  });

  it('never deletes the redirect client the current target uses', async () => {
    const { worker, clients } = setup(
      [
        {
          hostname: 'same.example.test',
          created_at: '2026-01-03T00:00:00.000Z',
          auth: { redirect_client_id: 'shared' },
        },
      ],
      [],
      ['shared'],
    );
    await worker.handle(deleted({ hostname: 'same.example.test', auth: { redirect_client_id: 'shared' } }));
    expect([...clients]).toEqual(['shared']);
  });

  it('ignores an event without a hostname', async () => {
    const { worker, registry } = setup([], [resource('a', 'x.example.test', '2026-01-01T00:00:00.000Z')], []);
    await worker.handle(deleted({}));
    expect([...registry.keys()]).toEqual(['a']);
  });
});
