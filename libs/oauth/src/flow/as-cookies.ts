import { readCookie } from '@app/http';

/** Which cookie of the browser flow: the GitHub round trip's binding, or the signed-in session. */
export type AsCookieKind = 'flow' | 'session';

/** A cookie the browser must get with a flow step (maxAge 0 clears it). */
export interface FlowCookie {
  kind: AsCookieKind;
  value: string;
  maxAge: number;
}

interface CookieShape {
  name: string;
  path: string;
}

/**
 * The authorization server's cookies for the issuer's scheme. Always host-only (no Domain),
 * HttpOnly, SameSite=Lax. With an https issuer they carry the `__Host-` prefix, which browsers accept
 * only with Secure, Path=/ and no Domain: no sibling host (or plain-http page) can set or shadow
 * them. Over plain http the prefix is not allowed, so the names are plain. Reading accepts only the
 * name of the current scheme.
 */
export class AsCookies {
  private readonly secure: boolean;
  private readonly shapes: Record<AsCookieKind, CookieShape>;

  constructor(issuer: string) {
    this.secure = issuer.startsWith('https:');
    this.shapes = this.secure
      ? { flow: { name: '__Host-oauth_flow', path: '/' }, session: { name: '__Host-oauth_session', path: '/' } }
      : { flow: { name: 'oauth_flow', path: '/callback' }, session: { name: 'oauth_session', path: '/' } };
  }

  name(kind: AsCookieKind): string {
    return this.shapes[kind].name;
  }

  serialize(cookie: FlowCookie): string {
    const { name, path } = this.shapes[cookie.kind];
    return `${name}=${cookie.value}; Path=${path}; HttpOnly; SameSite=Lax; Max-Age=${cookie.maxAge}${this.secure ? '; Secure' : ''}`;
  }

  /** The value of the cookie of this kind under the current scheme's name (others are ignored). */
  read(header: string | undefined, kind: AsCookieKind): string | undefined {
    return readCookie(header, this.shapes[kind].name);
  }
}
