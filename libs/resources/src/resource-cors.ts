/** CORS of protected resources (MCP clients in browsers): on metadata, challenges and preflights. */
export const RESOURCE_CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'WWW-Authenticate, Mcp-Session-Id',
};
export const PREFLIGHT_HEADERS: Record<string, string> = {
  ...RESOURCE_CORS_HEADERS,
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, mcp-protocol-version, mcp-session-id, last-event-id',
  'access-control-max-age': '86400',
};
