import { Backend, publicRequest } from '../support/loopback';
import { ServerProcess } from '../support/server-process';

/**
 * A request that failed on a kept-alive backend connection the backend had closed is replayed once
 * only when replaying cannot repeat an effect: no body, and an idempotent method (RFC 9110 §9.2.2:
 * "A proxy MUST NOT automatically retry non-idempotent requests"). Each engine.
 */
describe.each(['http1', 'undici', 'node'])('replay after a dropped kept-alive connection (%s engine)', (engine) => {
  let server: ServerProcess;
  let flaky: Backend;
  const seen: string[] = [];

  beforeAll(async () => {
    // A request tagged x-drop is dropped unanswered the first time its tag arrives, as a backend
    // closing an idle kept-alive connection does; its replay (same tag) is answered.
    const dropped = new Set<string>();
    flaky = await Backend.start((req, res) => {
      const tag = req.headers['x-drop'];
      seen.push(`${req.method} ${tag ?? '-'}`);
      if (typeof tag === 'string' && !dropped.has(tag)) {
        dropped.add(tag);
        return void req.socket.destroy();
      }
      req.resume();
      req.on('end', () => res.end(`ok ${req.method}`));
    });
    server = await ServerProcess.start({ env: { FORWARDING_ENGINE: engine } });
    const created = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'flaky.test', target_url: flaky.url },
    });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    await flaky?.close();
  });

  const send = (method: string, drop?: string) =>
    publicRequest({
      port: server.httpPort,
      host: 'flaky.test',
      method,
      headers: { 'content-length': '0', ...(drop ? { 'x-drop': drop } : {}) },
    }).then((r) => r.status);

  it('replays a body-less GET and DELETE, never a body-less POST or PATCH', async () => {
    // Each dropped request follows an answered one, so it goes out on a kept-alive (reused) connection.
    expect([await send('GET'), await send('GET', 'g')]).toEqual([200, 200]);
    expect([await send('GET'), await send('POST', 'p')]).toEqual([200, 502]); // replaying could repeat its effect
    expect([await send('GET'), await send('DELETE', 'd')]).toEqual([200, 200]);
    expect([await send('GET'), await send('PATCH', 'x')]).toEqual([200, 502]);
    expect(seen.filter((line) => !line.endsWith(' -'))).toEqual([
      'GET g',
      'GET g',
      'POST p',
      'DELETE d',
      'DELETE d',
      'PATCH x',
    ]);
  });
});
