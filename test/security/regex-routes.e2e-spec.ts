import type { ServerResponse } from 'node:http';
import { Backend, echoBackend, publicRequest } from '../support/loopback';
import { ServerProcess } from '../support/server-process';

interface ErrorBody {
  statusCode: number;
  message: string;
}

/** A backend that holds responses while closed: keeps a request provably in flight until released. */
class GateBackend {
  private held: ServerResponse[] = [];
  private open = true;
  private constructor(readonly backend: Backend) {}

  static async start(): Promise<GateBackend> {
    const holder: { gate?: GateBackend } = {};
    const backend = await Backend.start((req, res) => {
      req.resume();
      req.on('end', () => (holder.gate!.open ? res.end('released') : holder.gate!.held.push(res)));
    });
    holder.gate = new GateBackend(backend);
    return holder.gate;
  }

  hold(): void {
    this.open = false;
  }

  /** Answers the held requests and every later one until the next hold(). */
  release(): void {
    this.open = true;
    for (const res of this.held.splice(0)) res.end('released');
  }
}

/** Patterns that backtrack catastrophically on JavaScript's engine, with a path that triggers it. */
const CATASTROPHIC: [pattern: string, path: string][] = [
  ['^/(a|a)*$', `/${'a'.repeat(40)}!`],
  ['^/(a+)+$', `/${'a'.repeat(40)}!`],
  ['(x+x+)+y', `/${'x'.repeat(5000).slice(0, 2000)}`],
  ['^/(a|aa)+$', `/${'a'.repeat(60)}!`],
  ['^/(\\w|a)*\\.json$', `/${'a'.repeat(40)}!`],
];

/**
 * Issue 16, class 4: a non-admin token's route regex can never stall the proxy. Every pattern is
 * either refused at write time or matched in linear time: a request with a path that makes the
 * pattern backtrack is answered, and while it is still in flight (its backend holds it) another
 * tenant's request completes, so the event loop never stalled on it.
 */
describe('regex routes run in linear time', () => {
  let server: ServerProcess;
  let gate: GateBackend;
  let other: Backend;
  let routed: Backend;
  let tenant: string;

  beforeAll(async () => {
    server = await ServerProcess.start();
    gate = await GateBackend.start();
    other = await echoBackend('other');
    routed = await echoBackend('routed');
    const token = async (name: string) =>
      (await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name } })).body.token;
    tenant = await token('tenant');
    const neighbour = await token('neighbour');
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          token: tenant,
          body: { hostname: 'regex.tenant.test', target_url: gate.backend.url },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          token: neighbour,
          body: { hostname: 'other.tenant.test', target_url: other.url },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    gate?.release();
    await Promise.all([server?.stop(), gate?.backend.close(), other?.close(), routed?.close()]);
  });

  const createRoute = (path_pattern: string, target = gate.backend.url) =>
    server.api<ErrorBody & { route_id: string }>('POST', '/api/v1/routes', {
      token: tenant,
      body: {
        path_pattern,
        is_regex: true,
        target_type: 'url',
        target_value: target,
        scope: 'proxy',
        proxy_hostnames: ['regex.tenant.test'],
      },
    });

  it.each(CATASTROPHIC)(
    'pattern %s is refused or cannot stall another tenant',
    async (pattern, path) => {
      const created = await createRoute(pattern);
      if (created.status === 400) {
        expect(created.body.message).toMatch(/^path_pattern /);
        return;
      }
      expect(created.status).toBe(201);
      gate.hold();
      let attackDone = false;
      const attack = publicRequest({ port: server.httpPort, host: 'regex.tenant.test', path }).then((res) => {
        attackDone = true;
        return res;
      });
      // The neighbour is answered while the attack request is still in flight (held by its backend).
      const neighbour = await publicRequest({ port: server.httpPort, host: 'other.tenant.test', path: '/ping' });
      expect([neighbour.status, neighbour.json().backend, attackDone]).toEqual([200, 'other', false]);
      gate.release();
      const answered = await attack;
      expect([answered.status, answered.text]).toEqual([200, 'released']);
      expect((await server.api('DELETE', `/api/v1/routes/${created.body.route_id}`, { token: tenant })).status).toBe(
        200,
      );
    },
    30_000,
  );

  it('refuses syntax the linear-time engine cannot run (backreferences, lookaround) with 400 naming the problem', async () => {
    for (const pattern of ['^/(a+)\\1$', '^/(?=admin)', '^/(?!public/)', '^/x(?<=x)']) {
      const res = await createRoute(pattern);
      expect([pattern, res.status]).toEqual([pattern, 400]);
      expect(res.body.message).toMatch(
        /^path_pattern uses syntax the linear-time regex engine \(RE2\) does not support/,
      );
    }
    const broken = await createRoute('^/(x');
    expect([broken.status, broken.body.message]).toEqual([
      400,
      expect.stringMatching(/^path_pattern is not a valid regular expression/),
    ]);
    expect((await server.api<unknown[]>('GET', '/api/v1/routes', { token: tenant })).body).toEqual([]);
  });

  it('still routes ordinary regexes', async () => {
    const created = await createRoute('^/items/\\d+$', routed.url);
    expect(created.status).toBe(201);
    const hit = async (path: string) =>
      (await publicRequest({ port: server.httpPort, host: 'regex.tenant.test', path })).text;
    expect(JSON.parse(await hit('/items/42')).backend).toBe('routed');
    expect(await hit('/items/42/x')).toBe('released');
    expect(JSON.parse(await hit('/items/7?q=1')).backend).toBe('routed');
  });
});
