import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { loopbackFetch } from './loopback-fetch';
import { FlowResult, OAuthBrowser } from './oauth-browser';

/**
 * An MCP SDK OAuth client provider with nothing configured in advance, whose "browser" is headless:
 * the SDK does discovery, registration and PKCE; `redirectToAuthorization` follows the flow through
 * the GitHub stand-in and consent and keeps the code for `transport.finishAuth(code)`.
 */
export class HeadlessProvider implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  code?: string;
  /** Every authorization the SDK sent the "browser" through (hops, consent pages). */
  readonly flows: FlowResult[] = [];
  /**
   * `grantTypes` without `refresh_token`: the client holds no refresh token, so the SDK (1.32) answers
   * a 403 `insufficient_scope` with a new authorization instead of a refresh that cannot add scopes.
   */
  constructor(
    readonly redirectUrl = 'http://127.0.0.1:43210/callback',
    private readonly clientName = 'MCP SDK e2e',
    private readonly grantTypes = ['authorization_code', 'refresh_token'],
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.clientName,
      redirect_uris: [this.redirectUrl],
      grant_types: this.grantTypes,
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  /** Follows the redirects (fetch, redirect: 'manual', cookies) through GitHub login and consent to the redirect URI. */
  async redirectToAuthorization(url: URL) {
    const flow = await new OAuthBrowser({ fetch: loopbackFetch }).authorize(url, this.redirectUrl);
    this.flows.push(flow);
    this.code = flow.callback?.searchParams.get('code') ?? undefined;
    if (!this.code)
      throw new Error(`authorization did not produce a code: ${flow.page?.status} ${flow.page?.body.slice(0, 300)}`);
  }
}
