/**
 * STAND-IN FOR github.com — NOT the product, NOT GitHub.
 *
 * GitHub is unreachable from the tests, so this small HTTP server on 127.0.0.1 implements the
 * endpoints of GitHub's OAuth web flow as GitHub documents them
 * (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps):
 *   GET  /login/oauth/authorize      → redirects to redirect_uri?code=...&state=... (the "signed-in" user approves)
 *   POST /login/oauth/access_token   → form or JSON in; JSON (Accept: application/json) or form-encoded out
 *   GET  /user, GET /user/emails     → the API (served on the same origin; point GITHUB_API_URL here)
 * The test chooses who is signed in with `signIn(login)`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface StandinUser {
  id: number;
  login: string;
  name: string;
  email: string;
}

export class GithubStandin {
  private readonly users = new Map<string, StandinUser>();
  private readonly codes = new Map<string, { login: string; clientId: string; redirectUri?: string }>();
  private readonly tokens = new Map<string, string>();
  private current?: string;
  private nextId = 1000;
  /** Every request seen, for assertions ("METHOD /path"). */
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  static async start(): Promise<GithubStandin> {
    const server = createServer();
    const standin = new GithubStandin(server, `Iv1.${randomBytes(8).toString('hex')}`, randomBytes(20).toString('hex'));
    server.on('request', (req, res) => void standin.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return standin;
  }

  /** Every access token issued so far (to check that the product stores none of them in clear). */
  get issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The env the product needs to use this stand-in. */
  get env(): Record<string, string> {
    return {
      GITHUB_BASE_URL: this.url,
      GITHUB_API_URL: this.url,
      GITHUB_CLIENT_ID: this.clientId,
      GITHUB_CLIENT_SECRET: this.clientSecret,
    };
  }

  /** Makes `login` the user signed in at "GitHub" (created on first use). */
  signIn(login: string): StandinUser {
    let user = this.users.get(login);
    if (!user) {
      user = { id: this.nextId++, login, name: `${login} Example`, email: `${login}@users.example.test` };
      this.users.set(login, user);
    }
    this.current = login;
    return user;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const clientId = url.searchParams.get('client_id');
      const redirectUri = url.searchParams.get('redirect_uri') ?? undefined;
      const state = url.searchParams.get('state');
      if (clientId !== this.clientId || !redirectUri) return json(404, { message: 'Not Found' });
      const target = new URL(redirectUri);
      if (!this.current) {
        target.searchParams.set('error', 'access_denied');
        target.searchParams.set('error_description', 'The user has denied your application access.');
      } else {
        const code = randomBytes(10).toString('hex');
        this.codes.set(code, { login: this.current, clientId, redirectUri });
        target.searchParams.set('code', code);
      }
      if (state) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString() });
      return void res.end();
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const raw = await new Promise<string>((resolve) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => resolve(body));
      });
      const params = (req.headers['content-type'] ?? '').includes('json')
        ? new URLSearchParams(JSON.parse(raw || '{}') as Record<string, string>)
        : new URLSearchParams(raw);
      const code = params.get('code') ?? '';
      const grant = this.codes.get(code);
      this.codes.delete(code);
      const answer = (body: Record<string, string>) => {
        if ((req.headers.accept ?? '').includes('application/json')) return json(200, body);
        res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
        res.end(new URLSearchParams(body).toString());
      };
      // GitHub answers 200 with an error body for a bad code or client.
      if (params.get('client_id') !== this.clientId || params.get('client_secret') !== this.clientSecret)
        return answer({
          error: 'incorrect_client_credentials',
          error_description: 'The client_id and/or client_secret passed are incorrect.',
        });
      if (
        !grant ||
        (grant.redirectUri && params.get('redirect_uri') && params.get('redirect_uri') !== grant.redirectUri)
      )
        return answer({
          error: 'bad_verification_code',
          error_description: 'The code passed is incorrect or expired.',
        });
      const token = `gho_${randomBytes(18).toString('hex')}`;
      this.tokens.set(token, grant.login);
      return answer({ access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    if (req.method === 'GET' && (url.pathname === '/user' || url.pathname === '/user/emails')) {
      const token = /^(?:token|Bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const login = token ? this.tokens.get(token) : undefined;
      const user = login ? this.users.get(login) : undefined;
      if (!user)
        return json(401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
      if (url.pathname === '/user')
        return json(200, {
          login: user.login,
          id: user.id,
          node_id: `U_${user.id}`,
          type: 'User',
          name: user.name,
          email: user.email,
          html_url: `${this.url}/${user.login}`,
          avatar_url: `${this.url}/avatars/${user.id}`,
        });
      return json(200, [{ email: user.email, primary: true, verified: true, visibility: 'public' }]);
    }
    json(404, { message: 'Not Found' });
  }
}
