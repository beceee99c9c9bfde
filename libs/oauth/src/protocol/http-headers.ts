export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** Browser-based MCP clients call metadata, register, token, revoke from other origins. */
export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, mcp-protocol-version',
  'access-control-expose-headers': 'WWW-Authenticate',
  'access-control-max-age': '86400',
};

/** Pages of the browser flow: never framed (clickjacking), never cached, no inline script. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};
