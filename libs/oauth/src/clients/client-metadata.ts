import { oauthError } from '../protocol/oauth-error';
import { redirectUriProblem } from '../protocol/redirect-uri';
import { AUTH_METHODS, TokenEndpointAuthMethod } from './oauth-client.record';

/** The RFC 7591 client metadata we keep; unknown members are ignored as the RFC asks. */
export interface ClientMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  response_types: string[];
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  scope?: string;
  contacts?: string[];
  software_id?: string;
  software_version?: string;
}

const MAX_REDIRECT_URIS = 10;
const MAX_STRING = 512;

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > MAX_STRING)
    throw oauthError('invalid_client_metadata', `${name} must be a string of at most ${MAX_STRING} characters`);
  return v;
}

function stringList(body: Record<string, unknown>, name: string, fallback: string[]): string[] {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  if (!Array.isArray(v) || v.length > 10 || v.some((x) => typeof x !== 'string' || x.length > MAX_STRING))
    throw oauthError('invalid_client_metadata', `${name} must be an array of at most 10 strings`);
  return v as string[];
}

function httpsUrl(body: Record<string, unknown>, name: string): string | undefined {
  const v = optionalString(body, name);
  if (v !== undefined && !/^https?:\/\/\S+$/.test(v))
    throw oauthError('invalid_client_metadata', `${name} must be an http(s) URL`);
  return v;
}

/** Validates RFC 7591 client metadata (registration, update, or a Client ID Metadata Document). */
export function parseClientMetadata(
  body: unknown,
  supportedScopes: readonly string[],
  options: { allowHttp?: boolean } = {},
): ClientMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw oauthError('invalid_client_metadata', 'the body must be a JSON object of client metadata');
  const b = body as Record<string, unknown>;
  const redirectUris = b.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0)
    throw oauthError('invalid_redirect_uri', 'redirect_uris must be a non-empty array of URIs');
  if (redirectUris.length > MAX_REDIRECT_URIS)
    throw oauthError('invalid_redirect_uri', `at most ${MAX_REDIRECT_URIS} redirect_uris`);
  for (const uri of redirectUris) {
    if (typeof uri !== 'string' || uri.length > MAX_STRING)
      throw oauthError('invalid_redirect_uri', 'each redirect URI must be a string');
    const problem = redirectUriProblem(uri, options);
    if (problem) throw oauthError('invalid_redirect_uri', problem);
  }
  const method = (optionalString(b, 'token_endpoint_auth_method') ?? 'client_secret_basic') as TokenEndpointAuthMethod;
  if (!AUTH_METHODS.includes(method))
    throw oauthError('invalid_client_metadata', `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`);
  // RFC 7591's default is authorization_code alone; MCP clients that omit grant_types still expect
  // to refresh, so both are granted by default.
  const grantTypes = stringList(b, 'grant_types', ['authorization_code', 'refresh_token']);
  const unsupportedGrant = grantTypes.find((g) => g !== 'authorization_code' && g !== 'refresh_token');
  if (unsupportedGrant)
    throw oauthError(
      'invalid_client_metadata',
      `grant type "${unsupportedGrant}" is not supported (authorization_code, refresh_token)`,
    );
  const responseTypes = stringList(b, 'response_types', ['code']);
  if (responseTypes.some((r) => r !== 'code'))
    throw oauthError('invalid_client_metadata', 'response_types may only contain "code"');
  const scope = optionalString(b, 'scope');
  if (scope) {
    const unknown = scope.split(' ').filter((s) => s && !supportedScopes.includes(s));
    if (unknown.length > 0)
      throw oauthError(
        'invalid_client_metadata',
        `unknown scope ${unknown.join(' ')} (supported: ${supportedScopes.join(' ')})`,
      );
  }
  return {
    redirect_uris: redirectUris as string[],
    token_endpoint_auth_method: method,
    grant_types: grantTypes,
    response_types: responseTypes,
    client_name: optionalString(b, 'client_name'),
    client_uri: httpsUrl(b, 'client_uri'),
    logo_uri: httpsUrl(b, 'logo_uri'),
    scope,
    contacts: b.contacts === undefined ? undefined : stringList(b, 'contacts', []),
    software_id: optionalString(b, 'software_id'),
    software_version: optionalString(b, 'software_version'),
  };
}
