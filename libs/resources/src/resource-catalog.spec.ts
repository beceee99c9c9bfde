import { AppConfig, parseEnvironment } from '@app/config';
import type { ProxyTargetRecord } from '@app/proxy-targets';
import { buildView, looseKey, supportedScopes } from './resource-catalog';
import type { ResourceRecord } from './resource.record';
import type { ProtectionSettings, TargetProtectionReader } from './target-protection';

const config = new AppConfig(parseEnvironment({ ADMIN_TOKEN: 'acm_resource_catalog_spec_0123' }));
const settings: ProtectionSettings = {
  enabled: true,
  mode: 'forward',
  required_users: ['alice'],
  required_emails: [],
  allowed_scopes: [],
};
const reader: TargetProtectionReader = { settingsOf: (target) => (target.auth ? settings : null) };
const target = (hostname: string) =>
  ({
    hostname,
    target_url: 'http://127.0.0.1:9',
    enabled: true,
    auth: { enabled: true },
  }) as unknown as ProxyTargetRecord;
const record = (proxy_target: string, uri: string, extra: Record<string, unknown> = {}) =>
  ({ id: 'res_1', uri, name: 'mcp', proxy_target, scopes: [], ...extra }) as unknown as ResourceRecord;

describe('resource catalog view', () => {
  it('refuses a protected target whose stored resource cannot be read, and keeps the other targets', () => {
    const view = buildView(
      [target('broken.example.test'), target('fine.example.test')],
      [record('broken.example.test', 'not a url'), record('fine.example.test', 'https://fine.example.test/mcp')],
      config,
      reader,
    );
    // Before: the whole rebuild threw and the previous view (perhaps without this target's auth) stayed.
    expect(view.hosts.get('broken.example.test')?.auth.unreadable).toMatch(/registered resources cannot be read/);
    expect(view.hosts.get('fine.example.test')?.auth.unreadable).toBeUndefined();
    expect(view.hosts.get('fine.example.test')?.resources.map((r) => r.endpoint)).toEqual(['/mcp']);
  });

  it("compiles a stored policy into the served resource; its rules' scopes follow the resource's own in scopes_supported", () => {
    const policy = {
      rules: [
        { id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write', 'mcp:read'] },
        { id: 'admin', method: 'tools/call', name: 'admin_*', users: ['alice'] },
      ],
    };
    const view = buildView(
      [target('gov.example.test')],
      [record('gov.example.test', 'https://gov.example.test/mcp', { scopes: ['mcp:read'], policy })],
      config,
      reader,
    );
    const [served] = view.hosts.get('gov.example.test')?.resources ?? [];
    expect(served.policy?.rules.map((r) => r.id)).toEqual(['writes', 'admin']);
    expect(supportedScopes(served)).toEqual(['mcp:read', 'mcp:write']);
    expect(supportedScopes({ scopes: ['mcp:read'] })).toEqual(['mcp:read']);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'a scope OAUTH_SCOPES does not issue (it shrank)',
      { rules: [{ id: 'writes', method: 'tools/call', scopes: ['mcp:admin'] }] },
      /policy of resource https:\/\/gov\.example\.test\/mcp is invalid: rules\[0\] "writes": scope mcp:admin is not issued/,
    ],
    ['a hand-edited rules field', { rules: 'all' }, /is invalid: rules must be an array/],
    ['a policy that is not an object', 'deny', /is invalid: the policy must be a JSON object/],
  ])('refuses the target of a stored policy with %s, naming the rule', (_what, policy, reason) => {
    const view = buildView(
      [target('gov.example.test')],
      [record('gov.example.test', 'https://gov.example.test/mcp', { policy })],
      config,
      reader,
    );
    expect(view.hosts.get('gov.example.test')?.auth.unreadable).toMatch(reason);
    expect(view.hosts.get('gov.example.test')?.resources).toEqual([]);
    expect(view.allowed.has('https://gov.example.test/mcp')).toBe(false);
  });
});

describe('looseKey', () => {
  it('reads a path as a case-folding, ;params-dropping backend routes it', () => {
    expect(looseKey('/MCP/')).toBe('/mcp');
    expect(looseKey('/mcp;jsessionid=1')).toBe('/mcp');
    expect(looseKey('/Api;v=1/MCP;x/sub')).toBe('/api/mcp/sub');
    expect(looseKey('/mcp')).toBe('/mcp');
  });
});
