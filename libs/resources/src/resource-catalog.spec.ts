import { Logger } from '@nestjs/common';
import { AppConfig, parseEnvironment } from '@app/config';
import type { ProxyTargetRecord, ProxyTargetsService } from '@app/proxy-targets';
import type { ConfigBus } from '@app/redis';
import { buildView, looseKey, ResourceCatalog, supportedScopes } from './resource-catalog';
import type { ResourceRecord } from './resource.record';
import type { ResourcesRepository } from './resources.repository';
import type { ProtectionSettings, TargetProtectionReader } from './target-protection';

const config = new AppConfig(parseEnvironment({ ADMIN_TOKEN: 'acm_resource_catalog_spec_0123' }));
const settings: ProtectionSettings = {
  enabled: true,
  mode: 'forward',
  required_users: ['alice'],
  required_emails: [],
  required_orgs: [],
  required_teams: [],
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

describe('ResourceCatalog.membershipSubjects', () => {
  const none = { orgs: [], teams: [] };
  const teamPolicy = {
    rules: [
      { id: 'deploy', method: 'tools/call', name: 'deploy', teams: ['Acme/Platform', 'acme/sre'] },
      { id: 'read', method: 'tools/call', name: 'read_*', orgs: ['globex'] },
    ],
  };
  /** A catalog over these stored targets and resources (plain stand-ins for the two repositories). */
  async function catalogOf(
    targets: ProxyTargetRecord[],
    records: ResourceRecord[],
    settingsOf: TargetProtectionReader['settingsOf'],
  ): Promise<ResourceCatalog> {
    const catalog = new ResourceCatalog(
      {} as ConfigBus,
      { all: () => Promise.resolve(targets) } as unknown as ProxyTargetsService,
      { list: () => Promise.resolve(records) } as unknown as ResourcesRepository,
      config,
      { settingsOf },
    );
    await catalog.rebuild();
    return catalog;
  }
  const named = (extra: Partial<ProtectionSettings>) => () => ({ ...settings, ...extra });
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it("unites the target's required organisations and teams with those its policy's rules name, in lower case", async () => {
    const catalog = await catalogOf(
      [target('gov.example.test')],
      [
        record('gov.example.test', 'https://gov.example.test/mcp', { policy: teamPolicy }),
        record('gov.example.test', 'https://gov.example.test/plain'),
      ],
      named({ required_orgs: ['Acme', 'globex'], required_teams: ['acme/platform'] }),
    );
    expect(catalog.membershipSubjects('https://gov.example.test/mcp')).toEqual({
      orgs: ['acme', 'globex'],
      teams: ['acme/platform', 'acme/sre'],
    });
    // Another resource of the same target: the target's lists, without the other resource's policy.
    expect(catalog.membershipSubjects('https://gov.example.test/plain')).toEqual({
      orgs: ['acme', 'globex'],
      teams: ['acme/platform'],
    });
    expect(catalog.membershipSubjects('https://elsewhere.example.test/mcp')).toEqual(none);
  });

  it("names the target's own lists for its origin when no resource is registered", async () => {
    const catalog = await catalogOf([target('bare.example.test')], [], named({ required_orgs: ['acme'] }));
    const [origin] = [...catalog.allowedResources()];
    expect(catalog.membershipSubjects(origin)).toEqual({ orgs: ['acme'], teams: [] });
  });

  it("with auth off, only the policy's subjects count (tokens may be obtained before protection is on)", async () => {
    const records = [record('off.example.test', 'https://off.example.test/mcp', { policy: teamPolicy })];
    const settingsOff = named({ enabled: false, required_orgs: ['acme'] });
    for (const catalog of [
      await catalogOf([target('off.example.test')], records, settingsOff),
      await catalogOf([target('off.example.test')], records, () => null),
      await catalogOf([{ ...target('off.example.test'), enabled: false }], records, named({ required_orgs: ['acme'] })),
    ])
      expect(catalog.membershipSubjects('https://off.example.test/mcp')).toEqual({
        orgs: ['globex'],
        teams: ['acme/platform', 'acme/sre'],
      });
    const plain = await catalogOf(
      [target('off.example.test')],
      [record('off.example.test', 'https://off.example.test/mcp')],
      settingsOff,
    );
    expect(plain.membershipSubjects('https://off.example.test/mcp')).toEqual(none);
  });

  it('does not read the lists of unreadable settings nor of a target refused for an unusable policy', async () => {
    const unreadable = await catalogOf(
      [target('broken.example.test')],
      [record('broken.example.test', 'https://broken.example.test/mcp')],
      named({ required_orgs: ['acme'], unreadable: 'required_teams is not a list of valid values' }),
    );
    expect(unreadable.host('broken.example.test')?.auth.unreadable).toBeDefined();
    expect(unreadable.membershipSubjects('https://broken.example.test/mcp')).toEqual(none);
    const badPolicy = await catalogOf(
      [target('broken.example.test')],
      [record('broken.example.test', 'https://broken.example.test/mcp', { policy: { rules: 'all' } })],
      named({ required_orgs: ['acme'] }),
    );
    expect(badPolicy.host('broken.example.test')?.auth.unreadable).toMatch(/is invalid/);
    expect(badPolicy.membershipSubjects('https://broken.example.test/mcp')).toEqual(none);
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
