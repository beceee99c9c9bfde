/**
 * STAND-IN FOR github.com — NOT the product, NOT GitHub.
 *
 * GitHub is unreachable from the tests, so this small HTTP server on 127.0.0.1 implements the
 * endpoints of GitHub's OAuth web flow and REST API that the product calls, as GitHub documents them
 * (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps,
 * https://docs.github.com/en/rest/orgs/members, https://docs.github.com/en/rest/teams/teams):
 *   GET  /login/oauth/authorize      → redirects to redirect_uri?code=...&state=... (the "signed-in" user approves
 *                                      every scope asked; the token remembers them)
 *   POST /login/oauth/access_token   → form or JSON in; JSON (Accept: application/json) or form-encoded out, with `scope`
 *   GET  /user, GET /user/emails     → the API (served on the same origin; point GITHUB_API_URL here)
 *   GET  /user/memberships/orgs      → `state` filter, pagination (per_page, page, Link rel="next"); needs read:org
 *   GET  /user/teams                 → pagination; 403 without read:org, as GitHub answers
 * The test chooses who is signed in with `signIn(login)`, and changes organisations and teams while
 * it runs (`join`, `leave`, `joinTeam`, `leaveTeam`). GitHub Enterprise Server mode (`{ enterprise:
 * true }`): the web flow under an optional path prefix, the API under `<prefix>/api/v3`, and `env`
 * sets GITHUB_BASE_URL only.
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

export interface StandinOptions {
  /** GitHub Enterprise Server layout: API under `<prefix>/api/v3`. */
  enterprise?: boolean;
  /** Path the web flow (and, in enterprise mode, the API) is served under, e.g. `/github`. */
  prefix?: string;
}

type MembershipState = 'active' | 'pending';

export class GithubStandin {
  private readonly users = new Map<string, StandinUser>();
  private readonly codes = new Map<
    string,
    { login: string; clientId: string; redirectUri?: string; scopes: string[] }
  >();
  private readonly tokens = new Map<string, { login: string; scopes: string[] }>();
  /** login → organisation (as spelled on "GitHub") → membership state. */
  private readonly orgs = new Map<string, Map<string, MembershipState>>();
  /** login → `org/team-slug`. */
  private readonly teams = new Map<string, Set<string>>();
  private current?: string;
  private nextId = 1000;
  /** Every request seen, for assertions ("METHOD /path", the path without the prefix). */
  readonly requests: string[] = [];
  /** The `scope` of every authorize request, in order. */
  readonly authorizeScopes: string[] = [];
  /** Entries per page of the membership lists at most (GitHub: per_page, at most 100). */
  pageSize = 100;
  /** While true the membership endpoints answer 502 (GitHub unavailable). */
  apiDown = false;
  /** Scopes the "user" does not grant although asked (GitHub lets users narrow some). */
  withheldScopes: string[] = [];
  /** An origin to put in `Link` next-page URLs instead of our own (a misbehaving or hostile API). */
  nextPageOrigin?: string;

  private constructor(
    private readonly server: Server,
    readonly clientId: string,
    readonly clientSecret: string,
    private readonly options: StandinOptions,
  ) {}

  static async start(options: StandinOptions = {}): Promise<GithubStandin> {
    const server = createServer();
    const standin = new GithubStandin(
      server,
      `Iv1.${randomBytes(8).toString('hex')}`,
      randomBytes(20).toString('hex'),
      options,
    );
    server.on('request', (req, res) => void standin.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return standin;
  }

  /** Every access token issued so far (to check that the product stores none of them in clear). */
  get issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  /** The origin (no prefix). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The web base URL: the origin plus the prefix. */
  get baseUrl(): string {
    return `${this.url}${this.options.prefix ?? ''}`;
  }

  private get apiPrefix(): string {
    return this.options.enterprise ? `${this.options.prefix ?? ''}/api/v3` : '';
  }

  /** The env the product needs to use this stand-in (enterprise mode: the base URL alone). */
  get env(): Record<string, string> {
    return {
      GITHUB_BASE_URL: this.baseUrl,
      ...(this.options.enterprise ? {} : { GITHUB_API_URL: this.url }),
      GITHUB_CLIENT_ID: this.clientId,
      GITHUB_CLIENT_SECRET: this.clientSecret,
    };
  }

  /** Makes `login` the user signed in at "GitHub" (created on first use). */
  signIn(login: string): StandinUser {
    this.current = login;
    return this.user(login);
  }

  private user(login: string): StandinUser {
    let user = this.users.get(login);
    if (!user) {
      user = { id: this.nextId++, login, name: `${login} Example`, email: `${login}@users.example.test` };
      this.users.set(login, user);
    }
    return user;
  }

  /** `login` joins organisation `org` (spelled as GitHub shows it); `pending`: invited, not accepted. */
  join(login: string, org: string, state: MembershipState = 'active'): void {
    this.user(login);
    const orgs = this.orgs.get(login) ?? new Map<string, MembershipState>();
    orgs.set(org, state);
    this.orgs.set(login, orgs);
  }

  /** `login` leaves organisation `org`, and with it its teams. */
  leave(login: string, org: string): void {
    this.orgs.get(login)?.delete(org);
    for (const team of this.teams.get(login) ?? [])
      if (team.split('/')[0].toLowerCase() === org.toLowerCase()) this.teams.get(login)!.delete(team);
  }

  /** `login` joins team `org/team-slug` (and so the organisation). */
  joinTeam(login: string, team: string): void {
    this.join(login, team.split('/')[0]);
    const teams = this.teams.get(login) ?? new Set<string>();
    teams.add(team);
    this.teams.set(login, teams);
  }

  leaveTeam(login: string, team: string): void {
    this.teams.get(login)?.delete(team);
  }

  /** Revokes every token of `login` (the user removed the app's authorisation): the API answers 401. */
  revokeTokensOf(login: string): void {
    for (const [token, grant] of this.tokens) if (grant.login === login) this.tokens.delete(token);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const web = this.options.prefix ?? '';
    const route = (prefix: string) =>
      url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : undefined;
    const webPath = route(web);
    const apiPath = route(this.apiPrefix);
    this.requests.push(`${req.method} ${webPath?.startsWith('/login/') ? webPath : (apiPath ?? url.pathname)}`);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && webPath === '/login/oauth/authorize') {
      const clientId = url.searchParams.get('client_id');
      const redirectUri = url.searchParams.get('redirect_uri') ?? undefined;
      const state = url.searchParams.get('state');
      this.authorizeScopes.push(url.searchParams.get('scope') ?? '');
      if (clientId !== this.clientId || !redirectUri) return json(404, { message: 'Not Found' });
      const target = new URL(redirectUri);
      if (!this.current) {
        target.searchParams.set('error', 'access_denied');
        target.searchParams.set('error_description', 'The user has denied your application access.');
      } else {
        const code = randomBytes(10).toString('hex');
        const scopes = (url.searchParams.get('scope') ?? '')
          .split(/[\s,]+/)
          .filter((scope) => scope && !this.withheldScopes.includes(scope));
        this.codes.set(code, { login: this.current, clientId, redirectUri, scopes });
        target.searchParams.set('code', code);
      }
      if (state) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString() });
      return void res.end();
    }
    if (req.method === 'POST' && webPath === '/login/oauth/access_token') {
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
      this.tokens.set(token, { login: grant.login, scopes: grant.scopes });
      return answer({ access_token: token, token_type: 'bearer', scope: grant.scopes.join(',') });
    }
    const api = ['/user', '/user/emails', '/user/memberships/orgs', '/user/teams'];
    if (req.method === 'GET' && apiPath !== undefined && api.includes(apiPath)) {
      const token = /^(?:token|Bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const grant = token ? this.tokens.get(token) : undefined;
      const user = grant ? this.users.get(grant.login) : undefined;
      if (!grant || !user)
        return json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      const scopes = { 'x-oauth-scopes': grant.scopes.join(', ') };
      if (apiPath === '/user')
        return json(
          200,
          {
            login: user.login,
            id: user.id,
            node_id: `U_${user.id}`,
            type: 'User',
            name: user.name,
            email: user.email,
            html_url: `${this.url}/${user.login}`,
            avatar_url: `${this.url}/avatars/${user.id}`,
          },
          scopes,
        );
      if (apiPath === '/user/emails')
        return json(200, [{ email: user.email, primary: true, verified: true, visibility: 'public' }], scopes);
      if (!grant.scopes.includes('read:org') && !grant.scopes.includes('user'))
        return json(
          403,
          {
            message: `You need at least read:org scope or user scope to list your ${apiPath === '/user/teams' ? 'teams' : 'organization memberships'}.`,
            documentation_url: 'https://docs.github.com/rest',
          },
          scopes,
        );
      if (this.apiDown) return json(502, { message: 'Server Error' });
      return this.page(url, apiPath === '/user/teams' ? this.teamsOf(user) : this.membershipsOf(user, url), json);
    }
    json(404, { message: 'Not Found' });
  }

  private membershipsOf(user: StandinUser, url: URL): unknown[] {
    const wanted = url.searchParams.get('state');
    return [...(this.orgs.get(user.login) ?? new Map<string, MembershipState>())]
      .filter(([, state]) => !wanted || state === wanted)
      .map(([org, state], i) => ({
        url: `${this.url}/orgs/${org}/memberships/${user.login}`,
        state,
        role: 'member',
        organization_url: `${this.url}/orgs/${org}`,
        organization: { login: org, id: 5000 + i, node_id: `O_${org}`, url: `${this.url}/orgs/${org}` },
        user: { login: user.login, id: user.id },
      }));
  }

  private teamsOf(user: StandinUser): unknown[] {
    return [...(this.teams.get(user.login) ?? new Set<string>())].map((team, i) => {
      const [org, slug] = team.split('/');
      return {
        id: 7000 + i,
        node_id: `T_${team}`,
        name: slug.replace(/-/g, ' '),
        slug,
        privacy: 'closed',
        permission: 'pull',
        organization: { login: org, id: 5000, node_id: `O_${org}` },
      };
    });
  }

  /** GitHub's pagination: `per_page` (at most `pageSize`), `page`, and `Link` with rel="next" / rel="last". */
  private page(
    url: URL,
    items: unknown[],
    json: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ) {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100, this.pageSize);
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number) => {
      const next = new URL(url.pathname + url.search, this.nextPageOrigin ?? this.url);
      next.searchParams.set('page', String(n));
      return next.toString();
    };
    const headers: Record<string, string> =
      page < last ? { link: `<${link(page + 1)}>; rel="next", <${link(last)}>; rel="last"` } : {};
    json(200, items.slice((page - 1) * perPage, page * perPage), headers);
  }
}
