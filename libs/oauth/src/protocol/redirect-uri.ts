const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function parse(uri: string): URL | null {
  try {
    return new URL(uri);
  } catch {
    return null;
  }
}

/** `http` on localhost / 127.0.0.1 / [::1] exactly: `http://localhost.evil.com` is not loopback. */
export function isLoopbackRedirect(uri: string): boolean {
  const url = parse(uri);
  return url !== null && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * A redirect URI a client may register: absolute, no fragment; https, or http on loopback only, or
 * a private-use scheme (native apps, RFC 8252 §7.1: contains a dot, e.g. com.example.app:/cb).
 */
export function redirectUriProblem(uri: string, options: { allowHttp?: boolean } = {}): string | null {
  const url = parse(uri);
  if (!url) return `"${uri}" is not an absolute URI`;
  if (url.hash || uri.includes('#')) return `"${uri}" must not contain a fragment`;
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:')
    return options.allowHttp || isLoopbackRedirect(uri)
      ? null
      : `"${uri}" must use https (http is allowed only for localhost, 127.0.0.1 and [::1])`;
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/i.test(url.protocol)) return null;
  return `"${uri}" uses a scheme that is not allowed (use https, loopback http, or a reverse-domain private scheme)`;
}

/**
 * Exact string match, except that for loopback http redirect URIs the port is ignored
 * (RFC 8252 §7.3): a client registers http://localhost/callback and uses http://localhost:53123/callback.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  if (!isLoopbackRedirect(requested)) return false;
  const want = parse(requested)!;
  return registered.some((candidate) => {
    if (!isLoopbackRedirect(candidate)) return false;
    const have = parse(candidate)!;
    return (
      have.hostname === want.hostname &&
      have.pathname === want.pathname &&
      have.search === want.search &&
      have.username === want.username &&
      have.password === want.password &&
      // The rest of the string must be identical too (no normalisation surprises).
      stripPort(candidate) === stripPort(requested)
    );
  });
}

function stripPort(uri: string): string {
  return uri.replace(/^(http:\/\/(?:localhost|127\.0\.0\.1|\[::1\]))(?::\d+)?(?=\/|\?|$)/i, '$1');
}
