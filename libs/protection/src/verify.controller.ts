import { All, Controller, Headers, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { canonicalPath, isRefusal, listElements } from '@app/http';
import { Public } from '@app/tokens';
import { RESOURCE_CORS_HEADERS } from '@app/resources';
import { metadataUrl, ProtectionDecider } from './protection-decider';

type HeaderBag = Record<string, string | string[] | undefined>;
/** The first element of a list header (X-Forwarded-Host, X-Forwarded-Proto, ...). */
const first = (v: string | string[] | undefined): string | undefined => listElements(v)[0];
/**
 * A header whole. A URI: a path may contain commas (`/public/,/../../admin` is `/admin` to nginx), so
 * cutting at the first one would decide on another path; repeated headers arrive joined with ", ",
 * whose space the canonical path refuses (400). Authorization and Cookie are not lists either: a
 * second credential after a comma is malformed, not ignored.
 */
const whole = (v: string | string[] | undefined): string | undefined =>
  (Array.isArray(v) ? v.join(', ') : v)?.trim() || undefined;

/** What a forward-auth caller says about the original request. */
export interface ForwardedRequest {
  host: string;
  /** Host with port, as the client used it. */
  authority: string;
  proto: string;
  method: string;
  pathAndQuery: string;
}

/**
 * The original request of a forward-auth subrequest, from the headers the common proxies send:
 * Traefik and Caddy: `X-Forwarded-Host`, `X-Forwarded-Uri`, `X-Forwarded-Proto`, `X-Forwarded-Method`;
 * nginx (set them in the config): `X-Original-URL` (absolute) or `X-Forwarded-Host` + `X-Original-URI`.
 * Without those, `?resource=<resource URI>` names the protected resource directly.
 */
export function forwardedRequest(headers: HeaderBag, resource: string | undefined): ForwardedRequest | null {
  let authority = first(headers['x-forwarded-host']);
  let pathAndQuery = whole(headers['x-forwarded-uri']) ?? whole(headers['x-original-uri']);
  let proto = first(headers['x-forwarded-proto']);
  const original = whole(headers['x-original-url']) ?? resource;
  if (original) {
    try {
      const url = new URL(original);
      authority ??= url.host;
      // The path as written, not WHATWG's (which resolves dots and turns "\\" into "/"): it is made canonical below, like the proxy's.
      pathAndQuery ??= rawPathAndQuery(original);
      proto ??= url.protocol.replace(':', '');
    } catch {
      // not absolute: a path
      pathAndQuery ??= original.startsWith('/') ? original : undefined;
    }
  }
  if (!authority) return null;
  const host = authority
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return {
    host,
    authority,
    proto: proto === 'http' ? 'http' : 'https',
    method: (first(headers['x-forwarded-method']) ?? first(headers['x-original-method']) ?? 'GET').toUpperCase(),
    pathAndQuery: pathAndQuery && pathAndQuery.startsWith('/') ? pathAndQuery : '/',
  };
}

/** Path and query of an absolute URL exactly as written (no fragment); `/` when it has none. */
function rawPathAndQuery(absolute: string): string {
  const rest = ABSOLUTE_URL.exec(absolute)?.[1] ?? '';
  return rest.startsWith('/') ? rest : `/${rest}`;
}
const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\\]*([^#]*)/;

// Deliberately public: nginx auth_request, Caddy forward_auth and Traefik forwardAuth call it without
// an API token (the bearer token they pass on is what it checks). Documented in docs/oauth.md, not
// in the admin OpenAPI.
@ApiExcludeController()
@Public()
@Controller()
export class VerifyController {
  constructor(private readonly decider: ProtectionDecider) {}

  /** 200 with identity headers, 401 with the resource's WWW-Authenticate, 403; never a redirect. */
  @All('verify')
  verify(
    @Headers() headers: HeaderBag,
    @Query('resource') resource: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    void reply.header('cache-control', 'no-store');
    const original = forwardedRequest(headers, typeof resource === 'string' ? resource : undefined);
    if (!original) {
      void reply.status(400).send({
        error: 'invalid_request',
        error_description:
          'say which request to check: X-Forwarded-Host and X-Forwarded-Uri (or X-Original-URL, or ?resource=<uri>)',
      });
      return;
    }
    const q = original.pathAndQuery.indexOf('?');
    // The same canonical path the proxy decides on and forwards (docs/security.md): the backend
    // behind the caller normalises, so the decision must be about the path it will serve.
    const path = canonicalPath(q >= 0 ? original.pathAndQuery.slice(0, q) : original.pathAndQuery);
    if (isRefusal(path)) {
      void reply.status(400).send({ error: 'invalid_request', error_description: path.refused });
      return;
    }
    const outcome = this.decider.decide({
      host: original.host,
      path,
      query: q >= 0 ? original.pathAndQuery.slice(q + 1) : '',
      method: original.method,
      origin: `${original.proto}://${original.authority}`,
      authorization: whole(headers.authorization),
      cookie: whole(headers.cookie),
      // The caller forwards an OPTIONS /verify allows: only a real CORS preflight goes without a token.
      preflight: original.method !== 'OPTIONS' || headers['access-control-request-method'] !== undefined,
    });
    switch (outcome.kind) {
      case 'unprotected':
        void reply.status(403).send({
          error: 'access_denied',
          error_description: `${original.host} is not protected by this server (turn auth on for its proxy target)`,
        });
        return;
      case 'preflight':
        void reply.status(200).send();
        return;
      case 'deny':
        void reply
          .status(outcome.status)
          .headers(outcome.headers)
          .send({ error: outcome.error, error_description: outcome.description });
        return;
      case 'login':
        // Redirect mode has no browser here: the caller gets the bearer challenge.
        void reply
          .status(401)
          .headers({
            ...RESOURCE_CORS_HEADERS,
            'www-authenticate': `Bearer resource_metadata="${metadataUrl(`${original.proto}://${original.authority}`, outcome.resource)}"`,
          })
          .send({ error: 'unauthorized', error_description: 'this resource needs an access token' });
        return;
      case 'allow':
        void reply.status(200).headers(outcome.identity).send({ authenticated: outcome.authenticated });
        return;
    }
  }
}
