import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Forbidden, Invalid } from '@app/http';
import { AuthContext } from '@app/tokens';
import { LogClock } from './clock';
import {
  LogFieldsQueryDto,
  LogPageDto,
  LogSearchQueryDto,
  LogStatsDto,
  LogStatsQueryDto,
  LogTimeseriesDto,
  LogTimeseriesQueryDto,
  LogWindowQueryDto,
  McpActivityDto,
  OAuthFlowDto,
  OAuthFlowQueryDto,
} from './dto/logs.dto';
import { HostOwnership } from './host-ownership';
import { LogFilter } from './log-filter';
import { RequestLogQuery } from './request-log.query';
import { RequestLogStore } from './request-log.store';
import { TIMESERIES_WINDOWS } from './request-log.timeseries';

const DEFAULT_HOURS = 24;
const DEFAULT_LIMIT = 100;

/** Turns API queries into log filters (time window, caller's visible hosts) and answers them. */
@Injectable()
export class RequestLogService {
  constructor(
    private readonly query: RequestLogQuery,
    private readonly store: RequestLogStore,
    private readonly ownership: HostOwnership,
    private readonly config: AppConfig,
    private readonly clock: LogClock,
  ) {}

  async search(auth: AuthContext, dto: LogSearchQueryDto, extra: Partial<LogFilter> = {}): Promise<LogPageDto> {
    const filter = { ...(await this.filterFor(auth, dto)), ...extra };
    this.assertVisible(filter);
    const limit = dto.limit ?? DEFAULT_LIMIT;
    const offset = dto.offset ?? 0;
    const page = await this.query.search(filter, offset, limit);
    return { ...window(filter), total: page.total, limit, offset, truncated: page.truncated, entries: page.entries };
  }

  async stats(auth: AuthContext, dto: LogStatsQueryDto): Promise<LogStatsDto> {
    const filter = await this.filterFor(auth, dto);
    this.assertVisible(filter);
    const { hosts, truncated } = await this.query.stats(filter);
    return { ...window(filter), truncated, hosts };
  }

  /** Time buckets of the last hour or day, the newest bucket being the current (partial) one. */
  async timeseries(auth: AuthContext, dto: LogTimeseriesQueryDto): Promise<LogTimeseriesDto> {
    const w = await this.bucketWindow(auth, dto);
    const series = await this.query.timeseries(w.filter, w.startMs, w.bucketMs, w.buckets);
    return { ...w.answer, ...series };
  }

  /** The MCP governance audit over the same windows and buckets as the time series. */
  async mcpActivity(auth: AuthContext, dto: LogTimeseriesQueryDto): Promise<McpActivityDto> {
    const w = await this.bucketWindow(auth, dto);
    const activity = await this.query.mcpActivity(w.filter, w.startMs, w.bucketMs, w.buckets);
    return { ...w.answer, ...activity };
  }

  /** The buckets of a 1h or 24h window ending now, and the filter of the caller's visible hosts. */
  private async bucketWindow(auth: AuthContext, dto: LogTimeseriesQueryDto) {
    const window = dto.window ?? '1h';
    const { bucketMs, buckets } = TIMESERIES_WINDOWS[window];
    const now = this.clock.now();
    const startMs = (Math.floor(now / bucketMs) - buckets + 1) * bucketMs;
    const filter: LogFilter = { sinceMs: Math.max(startMs, now - this.config.logRetentionMs), untilMs: now };
    if (dto.hostname !== undefined) filter.hostname = dto.hostname;
    if (!auth.isAdmin) filter.allowedHosts = await this.ownership.hostsOwnedBy(auth.tokenName);
    this.assertVisible(filter);
    const answer = {
      window,
      since: new Date(startMs).toISOString(),
      until: new Date(now).toISOString(),
      bucket_seconds: bucketMs / 1000,
    };
    return { filter, startMs, bucketMs, buckets, answer };
  }

  async oauthFlow(auth: AuthContext, dto: OAuthFlowQueryDto): Promise<OAuthFlowDto> {
    if (dto.client_id === undefined && dto.user === undefined && dto.ip === undefined)
      throw Invalid('give client_id, user or ip: whose OAuth flow to line up');
    const filter: LogFilter = {
      ...(await this.filterFor(auth, dto)),
      clientId: dto.client_id,
      user: dto.user,
      ip: dto.ip,
    };
    const flow = await this.query.oauthFlow(filter);
    return { ...window(filter), ...flow };
  }

  /** The filter a follower uses (no time window). */
  followFilter(auth: AuthContext, dto: LogFieldsQueryDto): Promise<LogFilter> {
    return this.filterFor(auth, dto);
  }

  async clear(): Promise<number> {
    return this.store.clear();
  }

  private async filterFor(auth: AuthContext, dto: LogWindowQueryDto & Partial<LogFieldsQueryDto>): Promise<LogFilter> {
    const now = this.clock.now();
    const oldest = now - this.config.logRetentionMs;
    const untilMs = dto.until ? Date.parse(dto.until) : now;
    const sinceMs = Math.max(
      oldest,
      dto.since ? Date.parse(dto.since) : untilMs - (dto.hours ?? DEFAULT_HOURS) * 3_600_000,
    );
    if (dto.since && dto.until && sinceMs > untilMs) throw Invalid('since must be before until');
    const filter: LogFilter = { sinceMs, untilMs };
    if (dto.hostname !== undefined) filter.hostname = dto.hostname;
    if (dto.ip !== undefined) filter.ip = dto.ip;
    if (dto.user !== undefined) filter.user = dto.user;
    if (dto.client_id !== undefined) filter.clientId = dto.client_id;
    if (dto.status !== undefined)
      filter.status = /xx$/.test(dto.status) ? { class: dto.status } : { exact: Number(dto.status) };
    if (dto.method !== undefined) filter.method = dto.method;
    if (dto.path !== undefined) filter.pathPrefix = dto.path;
    if (dto.listener !== undefined) filter.listener = dto.listener;
    if (dto.mcp_method !== undefined) filter.mcpMethod = dto.mcp_method;
    if (dto.mcp_name !== undefined) filter.mcpName = dto.mcp_name;
    if (dto.decision !== undefined) filter.decision = dto.decision;
    if (dto.mcp_rule !== undefined) filter.mcpRule = dto.mcp_rule;
    if (dto.q !== undefined && dto.q !== '') filter.q = dto.q;
    if (!auth.isAdmin) filter.allowedHosts = await this.ownership.hostsOwnedBy(auth.tokenName);
    return filter;
  }

  /** A non-admin asking for a host it does not own gets 403 rather than an empty answer. */
  assertVisible(filter: LogFilter): void {
    if (filter.allowedHosts && filter.hostname !== undefined && !filter.allowedHosts.has(filter.hostname)) {
      throw Forbidden(`hostname "${filter.hostname}" is not one of your proxy targets`);
    }
  }
}

function window(filter: LogFilter): { since: string; until: string } {
  return { since: new Date(filter.sinceMs).toISOString(), until: new Date(filter.untilMs).toISOString() };
}
