import { identityFrom } from './echo-tools';
import { hostAllowed, hostWithoutPort, parseSettings, SettingsError } from './settings';

describe('mcp-echo settings', () => {
  it('defaults to a stateless server on 127.0.0.1:3101 accepting any Host', () => {
    expect(parseSettings({})).toEqual({
      mode: 'stateless',
      port: 3101,
      bind: '127.0.0.1',
      allowedHosts: null,
      headerPrefix: 'X-Auth-',
      name: 'mcp-echo-stateless',
    });
    expect(parseSettings({ MCP_ECHO_MODE: 'stateful' })).toMatchObject({
      mode: 'stateful',
      port: 3102,
      name: 'mcp-echo-stateful',
    });
    expect(
      parseSettings({ MCP_ECHO_ALLOWED_HOSTS: ' A.example.com, *.b.example.com ', MCP_ECHO_PORT: '4000' }),
    ).toMatchObject({ port: 4000, allowedHosts: ['a.example.com', '*.b.example.com'] });
  });

  it.each([
    [{ MCP_ECHO_MODE: 'both' }, 'MCP_ECHO_MODE must be "stateless" or "stateful", not "both"'],
    [{ MCP_ECHO_PORT: '70000' }, 'MCP_ECHO_PORT must be a port number (1-65535), not "70000"'],
    [{ MCP_ECHO_PORT: '3x' }, 'MCP_ECHO_PORT must be a port number (1-65535), not "3x"'],
    [{ MCP_ECHO_HEADER_PREFIX: 'X Auth' }, 'MCP_ECHO_HEADER_PREFIX must be letters, digits and "-", not "X Auth"'],
  ])('refuses %j', (env, message) => {
    expect(() => parseSettings(env)).toThrow(new SettingsError(message));
  });

  it('checks the Host header without its port; loopback always passes; wildcards need a label', () => {
    expect(hostWithoutPort('Echo.Example.com:8443')).toBe('echo.example.com');
    expect(hostWithoutPort('[::1]:3101')).toBe('[::1]');
    const allowed = ['echo.example.com', '*.mcp.example.com'];
    expect(hostAllowed('echo.example.com:443', allowed)).toBe(true);
    expect(hostAllowed('a.mcp.example.com', allowed)).toBe(true);
    expect(hostAllowed('mcp.example.com', allowed)).toBe(false);
    expect(hostAllowed('evilmcp.example.com', allowed)).toBe(false);
    expect(hostAllowed('localhost:3101', allowed)).toBe(true);
    expect(hostAllowed('127.0.0.1', allowed)).toBe(true);
    expect(hostAllowed('rebound.attacker.test', allowed)).toBe(false);
    expect(hostAllowed(undefined, allowed)).toBe(false);
    expect(hostAllowed('anything', null)).toBe(true);
  });

  it('reads the identity headers with a configurable prefix', () => {
    const headers = {
      'x-user-user-name': 'octocat',
      'x-user-scopes': 'mcp:read',
      'x-auth-user-name': 'ignored',
      host: 'h',
    };
    expect(identityFrom(headers, 'X-User-')).toEqual({
      user_id: null,
      user_name: 'octocat',
      user_email: null,
      scopes: 'mcp:read',
      client_id: null,
      headers: { 'x-user-user-name': 'octocat', 'x-user-scopes': 'mcp:read' },
    });
  });
});
