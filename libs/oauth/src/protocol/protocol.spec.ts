import { clientIdUrlProblem, isPrivateAddress } from '../clients/client-metadata-documents';
import { parseClientMetadata } from '../clients/client-metadata';
import { isOAuthPublicPath } from '../oauth-public-paths';
import { requireS256Challenge, s256, verifierMatches } from './pkce';
import { isLoopbackRedirect, redirectUriMatches, redirectUriProblem } from './redirect-uri';
import { canonicalResource, canonicalResources } from './resource';
import { accumulatedScopes } from './scopes';

describe('redirect URIs', () => {
  it('match exactly, except the port of loopback http URIs (RFC 8252 §7.3)', () => {
    const registered = [
      'https://claude.ai/api/mcp/auth_callback',
      'http://localhost/callback',
      'http://127.0.0.1:8080/cb',
    ];
    expect(redirectUriMatches(registered, 'https://claude.ai/api/mcp/auth_callback')).toBe(true);
    expect(redirectUriMatches(registered, 'https://claude.ai/api/mcp/auth_callback/')).toBe(false);
    expect(redirectUriMatches(registered, 'https://claude.ai:8443/api/mcp/auth_callback')).toBe(false);
    expect(redirectUriMatches(registered, 'http://localhost:53123/callback')).toBe(true);
    expect(redirectUriMatches(registered, 'http://127.0.0.1:9999/cb')).toBe(true);
    expect(redirectUriMatches(registered, 'http://127.0.0.1/cb')).toBe(true);
    expect(redirectUriMatches(registered, 'http://localhost:53123/other')).toBe(false);
    expect(redirectUriMatches(registered, 'http://127.0.0.1:53123/callback')).toBe(false);
    expect(redirectUriMatches(registered, 'http://localhost.evil.com/callback')).toBe(false);
    expect(redirectUriMatches(registered, 'http://localhost.evil.com:53123/callback')).toBe(false);
    expect(redirectUriMatches(registered, 'http://localhost:53123@evil.com/callback')).toBe(false);
    expect(redirectUriMatches(['http://[::1]/cb'], 'http://[::1]:4000/cb')).toBe(true);
  });

  it('know what loopback is and which URIs may be registered', () => {
    expect(isLoopbackRedirect('http://localhost.evil.com/')).toBe(false);
    expect(isLoopbackRedirect('https://localhost/')).toBe(false);
    expect(redirectUriProblem('http://localhost.evil.com/callback')).toMatch(/must use https/);
    expect(redirectUriProblem('https://app.example.com/cb#frag')).toMatch(/fragment/);
    expect(redirectUriProblem('javascript:alert(1)')).toMatch(/scheme/);
    expect(redirectUriProblem('com.example.app:/oauth')).toBeNull();
    expect(redirectUriProblem('http://127.0.0.1:3000/cb')).toBeNull();
  });
});

describe('resource indicators', () => {
  it('are canonical: no trailing slash, lower-case host, no fragment', () => {
    expect(canonicalResource('https://MCP.example.com/mcp/')).toBe('https://mcp.example.com/mcp');
    expect(canonicalResource('https://mcp.example.com/')).toBe('https://mcp.example.com');
    expect(canonicalResources(['https://a.test/x', 'https://a.test/x/'])).toEqual(['https://a.test/x']);
    expect(() => canonicalResource('https://a.test/x#f')).toThrow(/fragment/);
    expect(() => canonicalResource('urn:x')).toThrow(expect.objectContaining({ error: 'invalid_target' }));
  });
});

describe('PKCE', () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  it('requires S256 and checks the verifier (RFC 7636 appendix B)', () => {
    expect(s256(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(verifierMatches(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true);
    expect(verifierMatches(`${verifier}x`, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(false);
    expect(verifierMatches('short', s256('short'))).toBe(false);
    expect(() => requireS256Challenge(undefined, 'S256')).toThrow('code_challenge is required');
    expect(() => requireS256Challenge('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'plain')).toThrow(
      'code_challenge_method must be S256 (got "plain")',
    );
    expect(() => requireS256Challenge('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', undefined)).toThrow(
      'code_challenge_method must be S256',
    );
  });
});

describe('client metadata', () => {
  it('validates RFC 7591 metadata and ignores unknown members', () => {
    const m = parseClientMetadata(
      { redirect_uris: ['https://claude.ai/api/mcp/auth_callback'], token_endpoint_auth_method: 'none', extra: 1 },
      ['mcp:read'],
    );
    expect(m).toMatchObject({
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    expect(() => parseClientMetadata({ redirect_uris: [] }, [])).toThrow(
      expect.objectContaining({ error: 'invalid_redirect_uri' }),
    );
    expect(() => parseClientMetadata({ redirect_uris: ['https://a.test/cb'], grant_types: ['implicit'] }, [])).toThrow(
      expect.objectContaining({ error: 'invalid_client_metadata' }),
    );
    expect(() => parseClientMetadata({ redirect_uris: ['https://a.test/cb'], scope: 'admin' }, ['mcp:read'])).toThrow(
      expect.objectContaining({ error: 'invalid_client_metadata' }),
    );
  });

  it('fetches Client ID Metadata Documents only from public https URLs', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      'not-an-ip',
    ]) {
      expect({ address, private: isPrivateAddress(address) }).toEqual({ address, private: true });
    }
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:8.8.8.8'])
      expect({ address, private: isPrivateAddress(address) }).toEqual({ address, private: false });
    expect(clientIdUrlProblem('https://app.example.com/oauth/client.json')).toBeNull();
    expect(clientIdUrlProblem('http://app.example.com/client.json')).toMatch(/https/);
    expect(clientIdUrlProblem('https://app.example.com/')).toMatch(/path/);
    expect(clientIdUrlProblem('https://user:pw@app.example.com/c')).toMatch(/credentials/);
  });
});

describe('OAUTH_PUBLIC_PATHS', () => {
  it('names the paths the dispatcher hands to the auth hostname', () => {
    for (const p of [
      '/authorize?x=1',
      '/token',
      '/register',
      '/register/client_abc',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/jwks',
      '/callback',
      '/consent',
      '/revoke',
      '/introspect',
    ]) {
      expect({ p, public: isOAuthPublicPath(p) }).toEqual({ p, public: true });
    }
    for (const p of ['/api/v1/oauth/clients', '/docs', '/health', '/tokens', '/registered'])
      expect({ p, public: isOAuthPublicPath(p) }).toEqual({ p, public: false });
  });
});

describe('step-up scope accumulation', () => {
  const supported = ['mcp:read', 'mcp:write', 'mcp:admin'];
  it('adds what was granted before for the resource, within the consent and the supported scopes', () => {
    expect(accumulatedScopes(['mcp:write'], [['mcp:read']], ['mcp:read', 'mcp:write'], supported)).toEqual([
      'mcp:write',
      'mcp:read',
    ]);
    // No longer consented (expired, or never for this client) or no longer offered: dropped.
    expect(
      accumulatedScopes(['mcp:write'], [['mcp:read', 'mcp:admin']], ['mcp:write', 'mcp:admin'], supported),
    ).toEqual(['mcp:write', 'mcp:admin']);
    expect(accumulatedScopes(['mcp:read'], [['mcp:read', 'gone']], ['mcp:read', 'gone'], supported)).toEqual([
      'mcp:read',
    ]);
    expect(accumulatedScopes(['mcp:read'], [[]], ['mcp:read', 'mcp:write'], supported)).toEqual(['mcp:read']);
  });

  it('keeps for several resources only what was granted for every one of them', () => {
    const consented = ['mcp:read', 'mcp:write', 'mcp:admin'];
    expect(accumulatedScopes(['mcp:read'], [['mcp:write', 'mcp:admin'], ['mcp:admin']], consented, supported)).toEqual([
      'mcp:read',
      'mcp:admin',
    ]);
    expect(accumulatedScopes(['mcp:read'], [['mcp:write'], []], consented, supported)).toEqual(['mcp:read']);
    expect(accumulatedScopes(['mcp:read'], [], consented, supported)).toEqual(['mcp:read']);
  });
});
