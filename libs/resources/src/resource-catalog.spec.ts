import { AppConfig, parseEnvironment } from '@app/config';
import type { ProxyTargetRecord } from '@app/proxy-targets';
import { buildView } from './resource-catalog';
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
const record = (proxy_target: string, uri: string) =>
  ({ id: 'res_1', uri, name: 'mcp', proxy_target, scopes: [] }) as unknown as ResourceRecord;

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
});
