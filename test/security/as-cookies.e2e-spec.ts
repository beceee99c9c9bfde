import { createHash, randomBytes } from 'node:crypto';
import { registerClient, startOAuthServer } from '../oauth/oauth-fixture';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const REDIRECT = 'http://127.0.0.1:47011/callback';
const SECURE_ISSUER = 'https://as.example.test';

/** Attribute names (lower case) of a Set-Cookie line, with their values. */
function attributes(line: string): { name: string; value: string; attrs: Map<string, string> } {
  const [pair, ...rest] = line.split(';').map((p) => p.trim());
  const eq = pair.indexOf('=');
  const attrs = new Map(rest.map((a) => [a.split('=')[0].toLowerCase(), a.split('=').slice(1).join('=')]));
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

/**
 * Class 3 of the security review (cookie part): the authorization server's cookies are host-only
 * (no Domain), HttpOnly, SameSite=Lax; with an https issuer they carry the `__Host-` prefix (Secure,
 * Path=/), so no sibling host can set or shadow them; the server reads only the name its scheme uses.
 */
describe('Authorization server cookies', () => {
  let github: GithubStandin;
  let plain: ServerProcess;
  let secure: ServerProcess;

  beforeAll(async () => {
    github = await GithubStandin.start();
    github.signIn('alice');
    plain = await startOAuthServer(github);
    // An https issuer in front of the admin listener (as behind a TLS terminator): the browser
    // navigates the https origin, and its requests are routed to the plain-HTTP listener.
    secure = await startOAuthServer(github, { OAUTH_ISSUER: SECURE_ISSUER });
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), secure?.stop()]);
    await github?.stop();
  });

  function authorizeUrl(server: ServerProcess, clientId: string, origin = server.apiUrl): URL {
    const url = new URL(`${origin}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: s256(randomBytes(32).toString('base64url')),
      code_challenge_method: 'S256',
      state: 's',
    }))
      url.searchParams.set(k, v);
    return url;
  }

  /** Runs a flow, recording every Set-Cookie line; returns them and the browser's session cookie. */
  async function signIn(server: ServerProcess, origin: string): Promise<{ lines: string[]; jar: string }> {
    const client = await registerClient(server, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    const lines: string[] = [];
    const toListener = (url: URL) => (url.origin === origin ? new URL(url.pathname + url.search, server.apiUrl) : url);
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      lines.push(...res.headers.getSetCookie());
      return res;
    };
    const browser = new OAuthBrowser({ route: toListener, fetch: recording });
    const flow = await browser.authorize(authorizeUrl(server, client.client_id, origin), REDIRECT);
    expect(flow.callback?.searchParams.get('code')).toMatch(/^ac_/);
    return { lines, jar: browser.cookieHeader(new URL(origin)) };
  }

  it('over an http issuer: host-only, HttpOnly, SameSite=Lax cookies without a prefix', async () => {
    const { lines, jar } = await signIn(plain, plain.apiUrl);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      const { name, attrs } = attributes(line);
      expect({
        line,
        name: /^oauth_(flow|session)$/.test(name),
        domain: attrs.has('domain'),
        httpOnly: attrs.has('httponly'),
        sameSite: attrs.get('samesite'),
      }).toEqual({ line, name: true, domain: false, httpOnly: true, sameSite: 'Lax' });
    }
    expect(jar).toMatch(/^oauth_session=[A-Za-z0-9_-]+$/);
  });

  it('over an https issuer: __Host- cookies (Secure, Path=/, no Domain, HttpOnly, SameSite=Lax)', async () => {
    const { lines, jar } = await signIn(secure, SECURE_ISSUER);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      const { name, attrs } = attributes(line);
      expect({
        line,
        name: /^__Host-oauth_(flow|session)$/.test(name),
        domain: attrs.has('domain'),
        path: attrs.get('path'),
        secure: attrs.has('secure'),
        httpOnly: attrs.has('httponly'),
        sameSite: attrs.get('samesite'),
      }).toEqual({ line, name: true, domain: false, path: '/', secure: true, httpOnly: true, sameSite: 'Lax' });
    }
    expect(jar).toMatch(/^__Host-oauth_session=[A-Za-z0-9_-]+$/);
  });

  it('reads only the cookie name the issuer scheme uses', async () => {
    const cases = [
      { server: plain, origin: plain.apiUrl, other: (v: string) => `__Host-oauth_session=${v}` },
      { server: secure, origin: SECURE_ISSUER, other: (v: string) => `oauth_session=${v}` },
    ];
    for (const { server, origin, other } of cases) {
      const { jar } = await signIn(server, origin);
      const session = jar.split('=').slice(1).join('=');
      const client = await registerClient(server, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
      // The scheme's own name: the signed-in session is recognised (consent next, not GitHub).
      const known = await fetch(authorizeUrl(server, client.client_id), {
        redirect: 'manual',
        headers: { cookie: jar },
      });
      expect(new URL(known.headers.get('location')!).pathname).toBe('/consent');
      // The other scheme's name carries the same session id, and is ignored: back to GitHub.
      const ignored = await fetch(authorizeUrl(server, client.client_id), {
        redirect: 'manual',
        headers: { cookie: other(session) },
      });
      expect(ignored.headers.get('location')).toMatch(new RegExp(`^${github.url}/login/oauth/authorize`));
    }
  });
});
