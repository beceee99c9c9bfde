import { isIP } from 'node:net';

/**
 * The TLS server name for a connection to an HTTPS backend: the target URL's host, never the Host
 * header the backend is sent (with `preserve_host_header`, the client's: it must not choose what
 * the backend's certificate is verified against). A DNS name is sent as SNI; an IP literal gives ''
 * (no SNI: RFC 6066 allows DNS names only). Node's TLS client verifies the certificate against the
 * `servername` when set, else against the connection's `host`: either way the target URL's host.
 */
export function backendServerName(hostname: string): string {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) === 0 ? bare : '';
}
