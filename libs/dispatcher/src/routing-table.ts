import { compileRateLimits, rateLimitProblems, type RateLimit } from '@app/config';
import type { ProxyTargetRecord } from '@app/proxy-targets';
import { compileRoutes, selectRoute, type CompiledRoute, type RouteRecord } from '@app/routes';

/** An instance as the table needs it (name → URL). */
export interface InstanceEntry {
  name: string;
  target_url: string;
}

/** Where one request goes: the host's proxy target, the route that matched (if any) and the backend URL. */
export interface ResolvedTarget {
  hostname: string;
  /** The proxy target's settings, including its opaque `auth` configuration. */
  target: ProxyTargetRecord;
  route: RouteRecord | null;
  /** Backend base URL; null when a route points at something that does not exist (see `problem`). */
  upstream: URL | null;
  problem?: string;
}

type Upstream = { url: URL } | { problem: string };

/** Resolutions remembered per table (host + method + path); the table is immutable, so they never go stale. */
const RESOLVE_CACHE_ENTRIES = 10_000;

/**
 * The in-memory routing table: proxy targets by hostname and compiled routes, with every route's
 * backend resolved once at build time. Rebuilt as a whole when the configuration version moves;
 * lookups never touch Redis.
 */
export class RoutingTable {
  private readonly targets: ReadonlyMap<string, ProxyTargetRecord>;
  private readonly routes: readonly CompiledRoute[];
  private readonly targetUpstreams = new Map<string, Upstream>();
  private readonly routeUpstreams = new Map<string, Upstream>();
  /** Memo of `resolve` for tables with routes: route selection is a linear scan (priority order). */
  private readonly resolved = new Map<string, ResolvedTarget>();
  /** The targets' rate limits, compiled once per table (targets without limits have no entry). */
  private readonly targetLimits = new Map<string, readonly RateLimit[]>();
  /** Why a target's stored rate limits cannot be applied: such a target is refused (503, fail closed). */
  private readonly limitProblems = new Map<string, string>();

  constructor(
    targets: readonly ProxyTargetRecord[],
    routes: readonly RouteRecord[],
    instances: readonly InstanceEntry[],
    readonly version = 0,
  ) {
    this.targets = new Map(targets.map((t) => [t.hostname, t]));
    this.routes = compileRoutes(routes);
    for (const t of targets) {
      this.targetUpstreams.set(t.hostname, parseUrl(t.target_url, `proxy target "${t.hostname}"`));
      this.compileLimits(t);
    }
    const instanceUrls = new Map(instances.map((i) => [i.name, i.target_url]));
    for (const { record } of this.routes)
      this.routeUpstreams.set(record.route_id, this.routeUpstream(record, instanceUrls));
  }

  static empty(): RoutingTable {
    return new RoutingTable([], [], [], -1);
  }

  get size(): { targets: number; routes: number } {
    return { targets: this.targets.size, routes: this.routes.length };
  }

  /** The target's rate limits; undefined when it has none. */
  rateLimitsOf(hostname: string): readonly RateLimit[] | undefined {
    return this.targetLimits.get(hostname);
  }

  /** Why the target's stored rate limits are unusable (the target is refused), or undefined. */
  rateLimitProblem(hostname: string): string | undefined {
    return this.limitProblems.get(hostname);
  }

  /** Every target whose stored rate limits are unusable, with why (logged by the store when it changes). */
  get rateLimitProblems(): ReadonlyMap<string, string> {
    return this.limitProblems;
  }

  private compileLimits(target: ProxyTargetRecord): void {
    const stored: unknown = target.rate_limits;
    if (stored === undefined || stored === null || (Array.isArray(stored) && stored.length === 0)) return;
    const problems = rateLimitProblems(stored, 'rate_limits');
    if (problems.length > 0) this.limitProblems.set(target.hostname, problems.join('; '));
    else this.targetLimits.set(target.hostname, compileRateLimits(target.rate_limits ?? []));
  }

  target(hostname: string): ProxyTargetRecord | undefined {
    return this.targets.get(hostname);
  }

  /** The backend for a request to a known, enabled target; null for an unknown hostname. */
  resolve(hostname: string, method: string, path: string): ResolvedTarget | null {
    const target = this.targets.get(hostname);
    if (!target) return null;
    if (this.routes.length === 0) {
      const upstream = this.targetUpstreams.get(hostname) ?? { problem: 'no backend' };
      return 'url' in upstream
        ? { hostname, target, route: null, upstream: upstream.url }
        : { hostname, target, route: null, upstream: null, problem: upstream.problem };
    }
    if (path.length > 512) return this.select(hostname, target, method, path);
    const key = `${method} ${hostname} ${path}`;
    const known = this.resolved.get(key);
    if (known) return known;
    const result = this.select(hostname, target, method, path);
    // Bounded: beyond the limit (many distinct paths) start over rather than grow.
    if (this.resolved.size >= RESOLVE_CACHE_ENTRIES) this.resolved.clear();
    this.resolved.set(key, result);
    return result;
  }

  private select(hostname: string, target: ProxyTargetRecord, method: string, path: string): ResolvedTarget {
    const route = selectRoute(this.routes, hostname, method, path, target)?.record ?? null;
    const upstream = (route ? this.routeUpstreams.get(route.route_id) : this.targetUpstreams.get(hostname)) ?? {
      problem: 'no backend',
    };
    return 'url' in upstream
      ? { hostname, target, route, upstream: upstream.url }
      : { hostname, target, route, upstream: null, problem: upstream.problem };
  }

  private routeUpstream(route: RouteRecord, instances: ReadonlyMap<string, string>): Upstream {
    const what = `route ${route.route_id}`;
    switch (route.target_type) {
      case 'url':
        return parseUrl(route.target_value, what);
      case 'port':
        return parseUrl(`http://127.0.0.1:${route.target_value}`, what);
      case 'instance': {
        const url = instances.get(route.target_value);
        return url
          ? parseUrl(url, what)
          : { problem: `${what} targets instance "${route.target_value}", which is not registered` };
      }
      case 'hostname': {
        const other = this.targets.get(route.target_value);
        return other
          ? parseUrl(other.target_url, what)
          : { problem: `${what} targets proxy target "${route.target_value}", which does not exist` };
      }
    }
  }
}

function parseUrl(value: string, what: string): Upstream {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return { url };
  } catch {
    // fall through
  }
  return { problem: `${what} has an unusable backend URL` };
}
