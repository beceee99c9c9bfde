/** The echo server's settings, read from the environment by main.ts (the only reader of process.env). */
export type EchoMode = 'stateless' | 'stateful';

export interface EchoSettings {
  mode: EchoMode;
  port: number;
  /** Listen address; loopback by default (the proxy runs on the same host). */
  bind: string;
  /**
   * Host header values accepted (DNS-rebinding protection). `null` accepts any Host: the right
   * default behind the proxy, which forwards the public hostname. Entries are host names without
   * port; `*.example.com` matches one or more labels under example.com.
   */
  allowedHosts: string[] | null;
  /** Prefix of the identity headers `whoami` reports (the proxy target's `header_prefix`). */
  headerPrefix: string;
  /** Name reported in the MCP `initialize` result. */
  name: string;
}

export class SettingsError extends Error {}

export function parseSettings(env: Record<string, string | undefined>): EchoSettings {
  const mode = (env.MCP_ECHO_MODE ?? 'stateless').trim();
  if (mode !== 'stateless' && mode !== 'stateful')
    throw new SettingsError(`MCP_ECHO_MODE must be "stateless" or "stateful", not "${mode}"`);
  const portText = (env.MCP_ECHO_PORT ?? '').trim() || (mode === 'stateless' ? '3101' : '3102');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535)
    throw new SettingsError(`MCP_ECHO_PORT must be a port number (1-65535), not "${portText}"`);
  const hosts = (env.MCP_ECHO_ALLOWED_HOSTS ?? '').trim();
  const allowedHosts =
    hosts === '' || hosts === '*'
      ? null
      : hosts
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean);
  const headerPrefix = (env.MCP_ECHO_HEADER_PREFIX ?? '').trim() || 'X-Auth-';
  if (!/^[A-Za-z0-9-]{1,64}$/.test(headerPrefix))
    throw new SettingsError(`MCP_ECHO_HEADER_PREFIX must be letters, digits and "-", not "${headerPrefix}"`);
  return {
    mode,
    port,
    bind: (env.MCP_ECHO_BIND ?? '').trim() || '127.0.0.1',
    allowedHosts,
    headerPrefix,
    name: (env.MCP_ECHO_NAME ?? '').trim() || `mcp-echo-${mode}`,
  };
}

/** Host header without port, lower case; `[::1]:3000` → `[::1]`. */
export function hostWithoutPort(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** Loopback names are always accepted (health checks, local clients); the rest must be listed. */
export function hostAllowed(host: string | undefined, allowed: string[] | null): boolean {
  if (allowed === null) return true;
  if (!host) return false;
  const name = hostWithoutPort(host);
  if (LOOPBACK.includes(name)) return true;
  return allowed.some((entry) =>
    entry.startsWith('*.') ? name.endsWith(entry.slice(1)) && name.length > entry.length - 1 : name === entry,
  );
}
