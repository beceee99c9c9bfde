import { Injectable } from '@nestjs/common';
import { LogFilter, matches, OAuthStep, oauthStep, percentile } from './log-filter';
import { isServerError, statusClassOf, StoredLogEntry } from './request-log-entry';
import { IndexKind, RequestLogStore } from './request-log.store';
import { McpActivityBuilder } from './request-log.mcp-activity';
import { TimeseriesBuilder } from './request-log.timeseries';

/** Most entries one query examines; beyond it the answer says `truncated: true`. */
export const MAX_SCAN = 100_000;
/** How far past `until` a stream scan reads, for entries whose ids were clamped upwards. */
const CLAMP_SLACK_MS = 10 * 60_000;

export interface LogPage {
  total: number;
  truncated: boolean;
  entries: StoredLogEntry[];
}

export interface HostStats {
  hostname: string;
  requests: number;
  status_classes: Record<string, number>;
  /** Share of requests answered 5xx or failed by the proxy. */
  error_rate: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  unique_ips: number;
  bytes_out: number;
}

export interface OAuthFlowStep extends StoredLogEntry {
  step: OAuthStep;
}
export interface OAuthStageSummary {
  ts: number;
  status: number;
  request_id: string;
}
export interface OAuthFlow {
  steps: OAuthFlowStep[];
  authorize: OAuthStageSummary | null;
  callback: OAuthStageSummary | null;
  token: OAuthStageSummary | null;
  first_protected_call: OAuthStageSummary | null;
  completed: boolean;
  /** The first stage missing or answered with an error, in authorize → callback → token → protected_call order. */
  stopped_at: 'authorize' | 'callback' | 'token' | 'protected_call' | null;
}

/** Read side of the request log: search, errors, per-host stats, OAuth flow. */
@Injectable()
export class RequestLogQuery {
  constructor(private readonly store: RequestLogStore) {}

  /** Matching entries newest first; `total` counts all matches (up to MAX_SCAN examined). */
  async search(filter: LogFilter, offset: number, limit: number): Promise<LogPage> {
    const entries: StoredLogEntry[] = [];
    let total = 0;
    const truncated = await this.scan(filter, (entry) => {
      if (total >= offset && entries.length < limit) entries.push(entry);
      total++;
    });
    return { total, truncated, entries };
  }

  async stats(filter: LogFilter): Promise<{ hosts: HostStats[]; truncated: boolean }> {
    const byHost = new Map<string, StoredLogEntry[]>();
    const truncated = await this.scan(filter, (entry) => {
      const list = byHost.get(entry.host) ?? [];
      list.push(entry);
      byHost.set(entry.host, list);
    });
    const hosts = [...byHost.entries()].map(([hostname, list]): HostStats => {
      const durations = list.map((e) => e.duration_ms).sort((a, b) => a - b);
      const status_classes: Record<string, number> = {};
      for (const e of list)
        status_classes[statusClassOf(e.status)] = (status_classes[statusClassOf(e.status)] ?? 0) + 1;
      return {
        hostname,
        requests: list.length,
        status_classes,
        error_rate: Math.round((list.filter(isServerError).length / list.length) * 10_000) / 10_000,
        p50_ms: percentile(durations, 50),
        p95_ms: percentile(durations, 95),
        p99_ms: percentile(durations, 99),
        unique_ips: new Set(list.map((e) => e.client_ip)).size,
        bytes_out: list.reduce((sum, e) => sum + e.bytes_out, 0),
      };
    });
    hosts.sort((a, b) => b.requests - a.requests || a.hostname.localeCompare(b.hostname));
    return { hosts, truncated };
  }

  /**
   * Proxied traffic (not the admin API's own requests: the dashboard drawing the charts would count
   * itself) in fixed buckets from `startMs`, overall and for the busiest hosts.
   */
  async timeseries(filter: LogFilter, startMs: number, bucketMs: number, count: number) {
    const builder = new TimeseriesBuilder(startMs, bucketMs, count);
    const truncated = await this.scan(filter, (entry) => {
      if (entry.listener !== 'api') builder.add(entry);
    });
    return { ...builder.result(), truncated };
  }

  /** The MCP governance audit (decisions, tools, users, denying rules) in the same fixed buckets. */
  async mcpActivity(filter: LogFilter, startMs: number, bucketMs: number, count: number) {
    const builder = new McpActivityBuilder(startMs, bucketMs, count);
    const truncated = await this.scan(filter, (entry) => builder.add(entry));
    return { ...builder.result(), truncated };
  }

  /**
   * Lines up one client's or user's OAuth flow: its entries (by oauth_client_id / auth_user /
   * client IP), plus the `/callback` hops from the IPs that called `/authorize` for it (the
   * browser comes back through the callback without a client id), oldest first.
   */
  async oauthFlow(filter: LogFilter): Promise<OAuthFlow> {
    const found = new Map<string, StoredLogEntry>();
    const base: LogFilter = { sinceMs: filter.sinceMs, untilMs: filter.untilMs, allowedHosts: filter.allowedHosts };
    const keep = (e: StoredLogEntry) => void found.set(e.id, e);
    if (filter.clientId !== undefined) await this.scan({ ...base, clientId: filter.clientId }, keep);
    if (filter.user !== undefined) await this.scan({ ...base, user: filter.user }, keep);
    if (filter.ip !== undefined) {
      await this.scan({ ...base, ip: filter.ip }, (e) => {
        if (oauthStep(e) !== 'other') keep(e);
      });
    }
    const authorizeIps = new Set(
      [...found.values()].filter((e) => oauthStep(e) === 'authorize').map((e) => e.client_ip),
    );
    for (const ip of authorizeIps) {
      await this.scan({ ...base, ip, pathPrefix: '/callback' }, (e) => {
        const foreign =
          (filter.clientId !== undefined && e.oauth_client_id !== undefined && e.oauth_client_id !== filter.clientId) ||
          (filter.user !== undefined && e.auth_user !== undefined && e.auth_user !== filter.user);
        if (!foreign && oauthStep(e) === 'callback') keep(e);
      });
    }
    const steps = [...found.values()]
      .sort((a, b) => a.ts - b.ts || a.id.localeCompare(b.id))
      .map((e) => ({ ...e, step: oauthStep(e) }));
    const first = (step: OAuthStep, after = 0): OAuthFlowStep | undefined =>
      steps.find((s) => s.step === step && s.ts >= after);
    const summary = (s: OAuthFlowStep | undefined): OAuthStageSummary | null =>
      s ? { ts: s.ts, status: s.status, request_id: s.request_id } : null;
    // Follow the latest attempt: the last authorize, then the first of each later stage after it.
    const authorize = [...steps].reverse().find((s) => s.step === 'authorize');
    const callback = first('callback', authorize?.ts ?? 0);
    const token = first('token', callback?.ts ?? authorize?.ts ?? 0);
    const protectedCall = first('protected_call', token?.ts ?? 0);
    const chain = [
      ['authorize', authorize],
      ['callback', callback],
      ['token', token],
      ['protected_call', protectedCall],
    ] as const;
    const stop = chain.find(([, s]) => !s || s.status >= 400 || !!s.error);
    return {
      steps,
      authorize: summary(authorize),
      callback: summary(callback),
      token: summary(token),
      first_protected_call: summary(protectedCall),
      completed: !stop,
      stopped_at: stop ? stop[0] : null,
    };
  }

  /** Calls `visit` for every matching entry, newest first; returns true when MAX_SCAN cut the scan short. */
  private async scan(filter: LogFilter, visit: (entry: StoredLogEntry) => void): Promise<boolean> {
    if (filter.allowedHosts && filter.allowedHosts.size === 0) return false;
    if (filter.sinceMs > filter.untilMs) return false;
    let examined = 0;
    const index = pickIndex(filter);
    if (index) {
      // Members (single ids or runs) up to one more entry than the cap: the cap is on entries examined.
      for await (const entries of this.store.indexedEntries(
        index[0],
        index[1],
        filter.sinceMs,
        filter.untilMs,
        MAX_SCAN + 1,
      )) {
        for (const entry of entries) {
          if (examined++ >= MAX_SCAN) return true;
          if (matches(filter, entry)) visit(entry);
        }
      }
      return false;
    }
    // Stream ids are the entries' arrival times, clamped upwards to keep ids increasing (an entry
    // is written when its request ends, a replica's clock may lag): read from the newest when the
    // window ends now, else CLAMP_SLACK_MS past `until`, and let the filter decide on `ts`.
    const upper = filter.untilMs >= Date.now() - CLAMP_SLACK_MS ? null : filter.untilMs + CLAMP_SLACK_MS;
    for await (const page of this.store.newestFirst(filter.sinceMs, upper)) {
      for (const entry of page) {
        if (examined++ >= MAX_SCAN) return true;
        if (matches(filter, entry)) visit(entry);
      }
    }
    return false;
  }
}

/** The most selective index the filter can use. */
function pickIndex(filter: LogFilter): [IndexKind, string] | null {
  if (filter.clientId !== undefined) return ['client', filter.clientId];
  if (filter.user !== undefined) return ['user', filter.user];
  if (filter.ip !== undefined) return ['ip', filter.ip];
  if (filter.hostname !== undefined) return ['host', filter.hostname];
  if (filter.status && 'exact' in filter.status) return ['status', statusClassOf(filter.status.exact)];
  if (filter.status) return ['status', filter.status.class];
  if (filter.errorsOnly) return ['errors', 'all'];
  return null;
}
