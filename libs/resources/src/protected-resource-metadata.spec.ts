import { resourceForMetadataPath } from './protected-resource-metadata';
import type { ProtectedHost } from './resource-catalog';

const host: ProtectedHost = {
  hostname: 'mcp.example.test',
  origin: 'https://mcp.example.test',
  auth: {
    enabled: true,
    mode: 'forward',
    required_users: ['alice'],
    required_emails: [],
    required_orgs: [],
    required_teams: [],
    allowed_scopes: [],
  },
  resources: [
    {
      uri: 'https://mcp.example.test/mcp/admin',
      endpoint: '/mcp/admin',
      name: 'admin',
      scopes: ['mcp:admin'],
      registered: true,
    },
    { uri: 'https://mcp.example.test/mcp', endpoint: '/mcp', name: 'mcp', scopes: ['mcp:read'], registered: true },
  ],
};

describe('protected resource metadata', () => {
  it('picks the resource of a metadata path: path-inserted, or the root / only resource', () => {
    const p = host;
    expect(resourceForMetadataPath(p, '/.well-known/oauth-protected-resource/mcp')?.endpoint).toBe('/mcp');
    expect(resourceForMetadataPath(p, '/.well-known/oauth-protected-resource/mcp/')?.endpoint).toBe('/mcp');
    expect(resourceForMetadataPath(p, '/.well-known/oauth-protected-resource/nope')).toBeUndefined();
    expect(resourceForMetadataPath(p, '/.well-known/oauth-protected-resource')?.endpoint).toBe('/mcp');
  });
});
