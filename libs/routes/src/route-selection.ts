import type { RouteMode } from '@app/proxy-targets';
import { compilePattern } from './route-pattern';
import type { RouteRecord } from './route.record';

/** Regex routes are not tried on longer paths: a second bound behind the pattern check. */
export const MAX_REGEX_PATH_LENGTH = 2048;

export interface CompiledRoute {
  readonly record: RouteRecord;
  readonly matchesPath: (path: string) => boolean;
}

/** How one proxy target filters routes (`/api/v1/proxy/targets/{hostname}/routes`). */
export interface HostRouteSettings {
  route_mode: RouteMode;
  enabled_routes: readonly string[];
  disabled_routes: readonly string[];
}

/** Compiles enabled routes and orders them: priority descending, then creation order ascending. */
export function compileRoutes(records: readonly RouteRecord[]): CompiledRoute[] {
  return records
    .filter((r) => r.enabled)
    .sort((a, b) => b.priority - a.priority || a.created_seq - b.created_seq)
    .map((record) => ({ record, matchesPath: compilePattern(record.path_pattern, record.is_regex) }));
}

function methodMatches(methods: readonly string[], method: string): boolean {
  if (methods.length === 0) return true;
  // HEAD is a GET without a body: a GET route serves it too.
  return methods.includes(method) || (method === 'HEAD' && methods.includes('GET'));
}

function allowedOnHost(route: RouteRecord, host: string, settings: HostRouteSettings): boolean {
  if (route.scope === 'proxy' && !route.proxy_hostnames.includes(host)) return false;
  switch (settings.route_mode) {
    case 'none':
      return false;
    case 'selective':
      return settings.enabled_routes.includes(route.route_id);
    case 'all':
      return !settings.disabled_routes.includes(route.route_id);
  }
}

/** The first route (in table order) that applies to this host, method and path; null when none does. */
export function selectRoute(
  routes: readonly CompiledRoute[],
  host: string,
  method: string,
  path: string,
  settings: HostRouteSettings,
): CompiledRoute | null {
  for (const route of routes) {
    const r = route.record;
    if (!methodMatches(r.methods, method) || !allowedOnHost(r, host, settings)) continue;
    if (r.is_regex && path.length > MAX_REGEX_PATH_LENGTH) continue;
    if (route.matchesPath(path)) return route;
  }
  return null;
}
