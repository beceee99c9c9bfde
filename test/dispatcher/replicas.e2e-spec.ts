import { Backend, echoBackend, eventually, publicRequest, type Echo } from '../support/loopback';
import { ServerProcess } from '../support/server-process';

/**
 * Two server processes sharing one Redis (one key prefix): configuration written through one is
 * served by the other within a second, without a restart, through pub/sub and the in-memory table.
 */
describe('live configuration across replicas', () => {
  let first: ServerProcess;
  let second: ServerProcess;
  let one: Backend;
  let two: Backend;

  beforeAll(async () => {
    first = await ServerProcess.start();
    [second, one, two] = await Promise.all([ServerProcess.start({ keyPrefix: first.keyPrefix }), echoBackend('one'), echoBackend('two')]);
  });
  afterAll(async () => {
    await Promise.all([first.stop(), second.stop(), one.close(), two.close()]);
  });

  const backendSeenBy = async (server: ServerProcess, host: string, path = '/') => {
    const res = await publicRequest({ port: server.httpPort, host, path });
    return res.status === 200 ? res.json<Echo>().backend : res.status;
  };

  it('serves a target created through one replica on the other within a second', async () => {
    expect(await backendSeenBy(second, 'live.test')).toBe(404);
    expect((await first.api('POST', '/api/v1/proxy/targets', { body: { hostname: 'live.test', target_url: one.url } })).status).toBe(201);
    expect(await eventually(async () => (await backendSeenBy(second, 'live.test')) === 'one', 1000, 20)).toBe(true);
  });

  it('applies updates and routes made on the other replica within a second', async () => {
    await second.api('PUT', '/api/v1/proxy/targets/live.test', { body: { target_url: two.url } });
    expect(await eventually(async () => (await backendSeenBy(first, 'live.test')) === 'two', 1000, 20)).toBe(true);
    await second.api('POST', '/api/v1/routes', { body: { path_pattern: '/special/', target_type: 'url', target_value: one.url } });
    expect(await eventually(async () => (await backendSeenBy(first, 'live.test', '/special/x')) === 'one', 1000, 20)).toBe(true);
  });

  it('stops serving a target deleted through the other replica within a second', async () => {
    expect((await second.api('DELETE', '/api/v1/proxy/targets/live.test')).status).toBe(200);
    expect(await eventually(async () => (await backendSeenBy(first, 'live.test')) === 404, 1000, 20)).toBe(true);
    expect(await backendSeenBy(second, 'live.test')).toBe(404);
  });
});
