import type { ProxyTargetRecord } from '@app/proxy-targets';
import type { RouteRecord } from '@app/routes';
import { RoutingTable } from './routing-table';

function target(hostname: string, target_url: string, overrides: Partial<ProxyTargetRecord> = {}): ProxyTargetRecord {
  return {
    hostname,
    target_url,
    owner: 'ADMIN',
    enabled: true,
    enable_http: true,
    enable_https: true,
    preserve_host_header: true,
    redirect_http_to_https: false,
    custom_headers: {},
    custom_response_headers: {},
    connect_timeout: 10,
    read_timeout: 300,
    route_mode: 'all',
    enabled_routes: [],
    disabled_routes: [],
    created_at: new Date(0).toISOString(),
    ...overrides,
  };
}

let seq = 0;
function route(path_pattern: string, target_type: RouteRecord['target_type'], target_value: string): RouteRecord {
  seq++;
  return {
    route_id: `r${seq}`,
    path_pattern,
    is_regex: false,
    target_type,
    target_value,
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
  };
}

describe('RoutingTable', () => {
  const table = new RoutingTable(
    [target('a.test', 'http://10.0.0.1:8080/base'), target('b.test', 'https://backend.internal')],
    [
      route('/inst/', 'instance', 'svc'),
      route('/port/', 'port', '3000'),
      route('/host/', 'hostname', 'b.test'),
      route('/url/', 'url', 'http://10.0.0.9'),
      route('/gone/', 'instance', 'nope'),
      route('/nohost/', 'hostname', 'c.test'),
    ],
    [{ name: 'svc', target_url: 'http://10.0.0.5:9000' }],
  );
  const upstream = (path: string) => {
    const resolved = table.resolve('a.test', 'GET', path);
    return resolved?.upstream?.href ?? resolved?.problem ?? null;
  };

  it('resolves each target type once, at build time', () => {
    expect(upstream('/other')).toBe('http://10.0.0.1:8080/base');
    expect(upstream('/inst/x')).toBe('http://10.0.0.5:9000/');
    expect(upstream('/port/x')).toBe('http://127.0.0.1:3000/');
    expect(upstream('/host/x')).toBe('https://backend.internal/');
    expect(upstream('/url/x')).toBe('http://10.0.0.9/');
  });

  it('explains routes whose target does not exist, and knows nothing of unknown hosts', () => {
    expect(upstream('/gone/x')).toMatch(/targets instance "nope", which is not registered$/);
    expect(upstream('/nohost/x')).toMatch(/targets proxy target "c.test", which does not exist$/);
    expect(table.resolve('unknown.test', 'GET', '/')).toBeNull();
  });
});
