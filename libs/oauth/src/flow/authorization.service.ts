import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { secretsEqual } from '@app/tokens';
import { ClientsService } from '../clients/clients.service';
import { OAuthClientRecord } from '../clients/oauth-client.record';
import { GithubMembershipList } from '../github/github-memberships';
import { SignInAdmission } from '../github/sign-in-admission';
import { OAuthError, oauthError } from '../protocol/oauth-error';
import { requireS256Challenge } from '../protocol/pkce';
import { redirectUriMatches } from '../protocol/redirect-uri';
import { canonicalResources } from '../protocol/resource';
import { grantableScopes, parseScope } from '../protocol/scopes';
import { ConsentService } from './consent.service';
import { FlowRepository, PENDING_TTL_SECONDS, sessionHash } from './flow.repository';
import { AuthorizationRequestRecord, ConsentRequestRecord, OAuthUser } from './flow.records';
import { ResourcePolicy } from './resource-policy';
import { FlowCookie } from './as-cookies';

/** Where the browser goes next. `page` is an error shown on our own page (no safe redirect exists). */
export type FlowStep =
  | { kind: 'redirect'; location: string; cookies?: FlowCookie[] }
  | { kind: 'consent'; consent: ConsentRequestRecord }
  | { kind: 'page'; status: number; title: string; message: string };

type Query = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const newId = () => randomBytes(24).toString('base64url');

/** /authorize → GitHub → /callback → consent → code, with every step's state in Redis. */
@Injectable()
export class AuthorizationService {
  constructor(
    private readonly clients: ClientsService,
    private readonly flow: FlowRepository,
    private readonly signIn: SignInAdmission,
    private readonly consents: ConsentService,
    private readonly resources: ResourcePolicy,
    private readonly config: AppConfig,
  ) {}

  private get issuer(): string {
    return this.config.oauth.issuer;
  }

  /** RFC 9207: `iss` on every authorization response, errors included. */
  private clientRedirect(redirectUri: string, params: Record<string, string | undefined>): FlowStep {
    const url = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    url.searchParams.set('iss', this.issuer);
    return { kind: 'redirect', location: url.toString() };
  }

  private errorRedirect(request: { redirect_uri: string; state?: string }, error: OAuthError): FlowStep {
    return this.clientRedirect(request.redirect_uri, {
      error: error.error,
      error_description: error.description,
      state: request.state,
    });
  }

  /** `sessionId` here and below: the session cookie's value (the secret, never stored). */
  async authorize(query: Query, sessionId: string | undefined): Promise<FlowStep> {
    // Until client and redirect URI are known good, errors are shown here, never redirected.
    let client: OAuthClientRecord;
    try {
      client = await this.clients.resolve(query.client_id);
    } catch (error) {
      if (error instanceof OAuthError)
        return { kind: 'page', status: 400, title: 'Unknown application', message: error.description };
      throw error;
    }
    const asked = str(query.redirect_uri);
    const redirectUri = asked ?? (client.redirect_uris.length === 1 ? client.redirect_uris[0] : undefined);
    if (!redirectUri)
      return { kind: 'page', status: 400, title: 'Invalid request', message: 'redirect_uri is required' };
    if (!redirectUriMatches(client.redirect_uris, redirectUri)) {
      return {
        kind: 'page',
        status: 400,
        title: 'Invalid redirect URI',
        message: `redirect_uri "${redirectUri}" is not registered for this application`,
      };
    }
    const state = str(query.state);
    try {
      const responseType = str(query.response_type);
      if (responseType !== 'code') throw oauthError('unsupported_response_type', 'response_type must be "code"');
      const challenge = requireS256Challenge(str(query.code_challenge), str(query.code_challenge_method));
      const supported = this.config.oauth.scopes;
      const scopes = grantableScopes(
        parseScope(query.scope),
        supported,
        client.scope ? client.scope.split(' ') : supported,
      );
      const resources = canonicalResources(query.resource);
      for (const r of resources)
        if (!(await this.resources.isAllowed(r)))
          throw oauthError('invalid_target', `resource ${r} is not served by this authorization server`);
      const request: AuthorizationRequestRecord = {
        id: newId(),
        client_id: client.client_id,
        client_name: client.client_name ?? client.client_id,
        redirect_uri: redirectUri,
        state,
        code_challenge: challenge,
        scopes,
        resources,
      };

      const session = sessionId ? await this.flow.getSession(sessionId) : null;
      if (session) {
        // Memberships that matter but cannot be known, or a user not admitted: GitHub is asked again.
        const admission = await this.signIn.reuse(session.user, request.resources);
        if (admission !== 'sign-in-again') return this.afterLogin(request, session.user, session.id, admission.via);
      }
      await this.flow.saveAuthorizationRequest(request);
      const location = await this.signIn.begin(request.id, request.resources);
      // The flow cookie binds the GitHub round trip to the browser that started it (login CSRF).
      return {
        kind: 'redirect',
        location,
        cookies: [{ kind: 'flow', value: request.id, maxAge: PENDING_TTL_SECONDS }],
      };
    } catch (error) {
      if (error instanceof OAuthError) return this.errorRedirect({ redirect_uri: redirectUri, state }, error);
      throw error;
    }
  }

  /** GitHub's return: the flow state, then the user, the allowlist, a session, then consent or code. */
  async callback(query: Query, flowCookie: string | undefined): Promise<FlowStep> {
    const id = str(query.state);
    // The state must be the one this browser was sent to GitHub with (no login CSRF).
    if (!id || !flowCookie || !secretsEqual(id, flowCookie)) {
      return {
        kind: 'page',
        status: 400,
        title: 'Sign-in refused',
        message: 'This sign-in was not started in this browser, or has expired. Start again from your application.',
      };
    }
    const request = await this.flow.takeAuthorizationRequest(id);
    if (!request)
      return {
        kind: 'page',
        status: 400,
        title: 'Sign-in expired',
        message: 'This sign-in is unknown or has expired (10 minutes). Start again from your application.',
      };
    if (str(query.error))
      return this.errorRedirect(
        request,
        oauthError(
          'access_denied',
          `GitHub sign-in was not completed: ${str(query.error_description) ?? str(query.error)}`,
        ),
      );
    let signedIn: Awaited<ReturnType<SignInAdmission['complete']>>;
    try {
      signedIn = await this.signIn.complete(query, request.resources);
    } catch (error) {
      if (error instanceof OAuthError) return this.errorRedirect(request, error);
      throw error;
    }
    const { user, admission } = signedIn;
    if (!admission.admitted) return this.errorRedirect(request, oauthError('access_denied', admission.message));
    // The cookie carries the session secret; Redis knows only its hash (the session's id).
    const secret = newId();
    const session = await this.flow.createSession(secret, user, this.config.oauth.sessionTtl);
    const next = await this.afterLogin(request, user, session.id, admission.via);
    const cookies: FlowCookie[] = [
      { kind: 'session', value: secret, maxAge: this.config.oauth.sessionTtl },
      { kind: 'flow', value: '', maxAge: 0 },
    ];
    return next.kind === 'redirect' ? { ...next, cookies } : next;
  }

  /**
   * `sessionHashed`: the session's stored id (the hash of the cookie's secret); `via`: the
   * memberships that count for this request (named on the consent page).
   */
  private async afterLogin(
    request: AuthorizationRequestRecord,
    user: OAuthUser,
    sessionHashed: string,
    via: GithubMembershipList,
  ): Promise<FlowStep> {
    // Only scopes the user has not approved for this client yet need the page (a step-up asks for those alone).
    const { added, already } = await this.consents.review(user.login, request);
    if (added.length === 0) return this.issueCode(request, user);
    const consent: ConsentRequestRecord = {
      id: newId(),
      request,
      user,
      session_id: sessionHashed,
      csrf_token: newId(),
      already_approved: already,
      ...(via.orgs.length > 0 || via.teams.length > 0 ? { memberships: via } : {}),
    };
    await this.flow.saveConsentRequest(consent);
    return { kind: 'redirect', location: `${this.issuer}/consent?id=${encodeURIComponent(consent.id)}` };
  }

  private async issueCode(request: AuthorizationRequestRecord, user: OAuthUser): Promise<FlowStep> {
    const code = await this.consents.issueCode(request, user);
    return this.clientRedirect(request.redirect_uri, { code, state: request.state });
  }

  /** The consent page's data, only for the browser (session cookie) that signed in. */
  async consentPage(id: unknown, sessionId: string | undefined): Promise<FlowStep> {
    const consent = str(id) ? await this.flow.getConsentRequest(str(id)!) : null;
    if (!consent || !sessionId || !secretsEqual(sessionHash(sessionId), consent.session_id)) {
      return {
        kind: 'page',
        status: 400,
        title: 'Approval expired',
        message: 'This approval request is unknown or has expired. Start again from your application.',
      };
    }
    return { kind: 'consent', consent };
  }

  /** The consent form's answer: same browser session, CSRF token, then approve (code) or deny. */
  async decide(body: Record<string, unknown>, sessionId: string | undefined): Promise<FlowStep> {
    const id = str(body.id);
    const consent = id ? await this.flow.getConsentRequest(id) : null;
    if (
      !consent ||
      !sessionId ||
      !secretsEqual(sessionHash(sessionId), consent.session_id) ||
      !secretsEqual(str(body.csrf_token) ?? '', consent.csrf_token)
    ) {
      return {
        kind: 'page',
        status: 403,
        title: 'Approval refused',
        message:
          'The approval could not be verified (expired page, another browser, or a forged form). Start again from your application.',
      };
    }
    if (!(await this.flow.takeConsentRequest(consent.id)))
      return { kind: 'page', status: 400, title: 'Approval expired', message: 'This approval was already answered.' };
    if (body.decision !== 'approve')
      return this.errorRedirect(consent.request, oauthError('access_denied', 'the user denied access'));
    await this.consents.approve(consent.user.login, consent.request);
    return this.issueCode(consent.request, consent.user);
  }
}
