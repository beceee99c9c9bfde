import { compileRoutes, HostRouteSettings, selectRoute } from './route-selection';
import type { RouteRecord } from './route.record';

let seq = 0;
function route(overrides: Partial<RouteRecord>): RouteRecord {
  seq++;
  return {
    route_id: `r${seq}`,
    path_pattern: '/',
    is_regex: false,
    target_type: 'url',
    target_value: 'http://127.0.0.1:1',
    priority: 50,
    methods: [],
    scope: 'global',
    proxy_hostnames: [],
    enabled: true,
    bypass_auth: false,
    description: '',
    owner: 'ADMIN',
    created_seq: seq,
    created_at: new Date(0).toISOString(),
    ...overrides,
  };
}
const ALL: HostRouteSettings = { route_mode: 'all', enabled_routes: [], disabled_routes: [] };
const pick = (routes: RouteRecord[], method: string, path: string, settings = ALL, host = 'a.test') =>
  selectRoute(compileRoutes(routes), host, method, path, settings)?.record.route_id ?? null;

describe('route selection', () => {
  it('takes the highest priority first, then the earliest created', () => {
    const low = route({ route_id: 'low', path_pattern: '/api', priority: 10 });
    const firstTie = route({ route_id: 'first', path_pattern: '/api', priority: 60 });
    const secondTie = route({ route_id: 'second', path_pattern: '/api', priority: 60 });
    expect(pick([low, secondTie, firstTie], 'GET', '/api/x')).toBe('first');
    expect(pick([low], 'GET', '/api/x')).toBe('low');
    expect(pick([low, firstTie], 'GET', '/other')).toBeNull();
  });

  it('filters by method, letting a GET route serve HEAD', () => {
    const get = route({ route_id: 'get', path_pattern: '/x', methods: ['GET'] });
    const post = route({ route_id: 'post', path_pattern: '/x', methods: ['POST'], priority: 40 });
    expect([
      pick([get, post], 'GET', '/x'),
      pick([get, post], 'HEAD', '/x'),
      pick([get, post], 'POST', '/x'),
      pick([get, post], 'PUT', '/x'),
    ]).toEqual(['get', 'get', 'post', null]);
  });

  it('matches regexes against the path and skips absurdly long paths', () => {
    const re = route({ route_id: 're', path_pattern: '^/items/\\d+$', is_regex: true });
    expect(pick([re], 'GET', '/items/7')).toBe('re');
    expect(pick([re], 'GET', '/items/x')).toBeNull();
    expect(
      pick([route({ route_id: 'any', path_pattern: '.*', is_regex: true })], 'GET', '/' + 'a'.repeat(5000)),
    ).toBeNull();
  });

  it('honours scope, enabled and the host route mode', () => {
    const scoped = route({ route_id: 'scoped', path_pattern: '/s', scope: 'proxy', proxy_hostnames: ['b.test'] });
    const off = route({ route_id: 'off', path_pattern: '/s', enabled: false });
    const global = route({ route_id: 'global', path_pattern: '/s', priority: 1 });
    expect(pick([scoped, off, global], 'GET', '/s', ALL, 'b.test')).toBe('scoped');
    expect(pick([scoped, off, global], 'GET', '/s', ALL, 'a.test')).toBe('global');
    expect(
      pick(
        [scoped, global],
        'GET',
        '/s',
        { route_mode: 'none', enabled_routes: ['global'], disabled_routes: [] },
        'b.test',
      ),
    ).toBeNull();
    expect(
      pick(
        [scoped, global],
        'GET',
        '/s',
        { route_mode: 'selective', enabled_routes: ['global'], disabled_routes: [] },
        'b.test',
      ),
    ).toBe('global');
    expect(
      pick(
        [scoped, global],
        'GET',
        '/s',
        { route_mode: 'all', enabled_routes: [], disabled_routes: ['scoped'] },
        'b.test',
      ),
    ).toBe('global');
  });
});
