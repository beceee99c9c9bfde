/**
 * A headless "browser" for the authorization flow: follows redirects by hand (fetch with
 * redirect: 'manual'), carries cookies per host, answers the consent page by submitting its form,
 * and stops at the first hop that lands on the client's redirect URI.
 */
export interface FlowResult {
  /** The URL the server sent the browser to on the client (code/error, state, iss). */
  callback?: URL;
  /** Set when the flow ended on a page of ours instead (status and text). */
  page?: { status: number; body: string; headers: Headers };
  /** Every URL visited. */
  hops: string[];
  /** The HTML of each consent page answered on the way (a step-up lists only the new scopes). */
  consentPages: string[];
}

export class OAuthBrowser {
  private readonly cookies = new Map<string, Map<string, string>>();

  /**
   * `route` maps the URL the browser navigates to onto the server that actually answers (a load
   * balancer in front of replicas); cookies and Origin follow the navigated URL.
   */
  constructor(
    private readonly options: { consent?: 'approve' | 'deny'; route?: (url: URL) => URL; fetch?: typeof fetch } = {},
  ) {}

  cookieHeader(url: URL): string {
    return [...(this.cookies.get(url.host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const jar = this.cookies.get(url.host) ?? new Map<string, string>();
      if (/;\s*Max-Age=0(;|$)/i.test(line)) jar.delete(pair.slice(0, eq).trim());
      else jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      this.cookies.set(url.host, jar);
    }
  }

  async request(
    url: URL,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    const target = this.options.route ? this.options.route(url) : url;
    const res = await (this.options.fetch ?? fetch)(target, {
      method: init.method ?? 'GET',
      body: init.body,
      headers,
      redirect: 'manual',
    });
    this.remember(url, res.headers);
    return res;
  }

  /** Runs from the authorization URL until the redirect URI (prefix `redirectUriPrefix`) is reached. */
  async authorize(authorizationUrl: string | URL, redirectUriPrefix: string): Promise<FlowResult> {
    const hops: string[] = [];
    const consentPages: string[] = [];
    let url = new URL(authorizationUrl);
    let init: { method?: string; body?: string; headers?: Record<string, string> } = {};
    for (let i = 0; i < 15; i++) {
      hops.push(url.toString());
      if (url.toString().startsWith(redirectUriPrefix)) return { callback: url, hops, consentPages };
      const res = await this.request(url, init);
      init = {};
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url);
        continue;
      }
      const body = await res.text();
      const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(body);
      if (res.status === 200 && form) {
        consentPages.push(body);
        const fields = new URLSearchParams();
        for (const m of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
          fields.set(m[1], m[2]);
        fields.set('decision', this.options.consent ?? 'approve');
        url = new URL(form[1], url);
        init = {
          method: 'POST',
          body: fields.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url.origin },
        };
        continue;
      }
      return { page: { status: res.status, body, headers: res.headers }, hops, consentPages };
    }
    throw new Error(`authorization flow did not finish:\n${hops.join('\n')}`);
  }
}
