import { Controller, Delete, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import {
  LogFieldsQueryDto,
  LogPageDto,
  LogsClearedDto,
  LogSearchQueryDto,
  LogStatsDto,
  LogStatsQueryDto,
  LogTimeseriesDto,
  LogTimeseriesQueryDto,
  McpActivityDto,
  OAuthFlowDto,
  OAuthFlowQueryDto,
} from './dto/logs.dto';
import { AdminRequestLogHook } from './admin-request-log.hook';
import { LogFollowHub } from './log-follow.hub';
import { RequestLogService } from './request-log.service';

const HEARTBEAT_MS = 15_000;

/**
 * The request log. The admin token sees every entry; other tokens see the entries of the hosts
 * they own (their proxy targets), never admin-API entries.
 */
@ApiTags('logs')
@Controller('api/v1/logs')
export class LogsController {
  constructor(
    private readonly logs: RequestLogService,
    private readonly hub: LogFollowHub,
    private readonly requestLog: AdminRequestLogHook,
  ) {}

  /** Searches the log: time window, field filters, newest first, limit/offset pages. */
  @Get()
  @Authenticated()
  search(@Auth() auth: AuthContext, @Query() query: LogSearchQueryDto): Promise<LogPageDto> {
    return this.logs.search(auth, query);
  }

  /** Failed requests: 4xx/5xx answers and requests the proxy failed (upstream errors). */
  @Get('errors')
  @Authenticated()
  errors(@Auth() auth: AuthContext, @Query() query: LogSearchQueryDto): Promise<LogPageDto> {
    return this.logs.search(auth, query, { errorsOnly: true });
  }

  /** Per-host statistics: requests, status classes, error rate, p50/p95/p99 latency, unique IPs. */
  @Get('stats')
  @Authenticated()
  stats(@Auth() auth: AuthContext, @Query() query: LogStatsQueryDto): Promise<LogStatsDto> {
    return this.logs.stats(auth, query);
  }

  /**
   * Proxied traffic over time for charts: requests/s, error rate and p95 latency per time bucket,
   * overall and for the 10 busiest hosts. `window=1h` gives 60 one-minute buckets, `24h` 96
   * quarter-hour buckets; the last bucket is the current, partial one. The admin API's own
   * requests are not counted. Other tokens see their own hosts only.
   */
  @Get('timeseries')
  @Authenticated()
  timeseries(@Auth() auth: AuthContext, @Query() query: LogTimeseriesQueryDto): Promise<LogTimeseriesDto> {
    return this.logs.timeseries(auth, query);
  }

  /**
   * MCP activity from the governance audit: calls per time bucket by decision (allowed,
   * denied-scope, denied-identity), the most called tools (`mcp_name`), the busiest users and the
   * rules that denied most, each with counts per decision. Windows and buckets as the time series.
   * Counted: requests the proxy read as JSON-RPC and its own 403s on protected targets. Other
   * tokens see their own hosts only.
   */
  @Get('mcp')
  @Authenticated()
  mcpActivity(@Auth() auth: AuthContext, @Query() query: LogTimeseriesQueryDto): Promise<McpActivityDto> {
    return this.logs.mcpActivity(auth, query);
  }

  /** OAuth traffic: the OAuth endpoints and requests that carry an OAuth user or client. */
  @Get('oauth')
  @Authenticated()
  oauthActivity(@Auth() auth: AuthContext, @Query() query: LogSearchQueryDto): Promise<LogPageDto> {
    return this.logs.search(auth, query, { oauthOnly: true });
  }

  /** Lines up authorize → callback → token → first protected call for one client, user or IP, and says where it stopped. */
  @Get('oauth/flow')
  @Authenticated()
  oauthFlow(@Auth() auth: AuthContext, @Query() query: OAuthFlowQueryDto): Promise<OAuthFlowDto> {
    return this.logs.oauthFlow(auth, query);
  }

  /** Requests from one client IP. */
  @Get('ip/:ip')
  @Authenticated()
  byIp(@Auth() auth: AuthContext, @Param('ip') ip: string, @Query() query: LogSearchQueryDto): Promise<LogPageDto> {
    return this.logs.search(auth, query, { ip });
  }

  /** Requests for one host (a proxy target's hostname). */
  @Get('host/:hostname')
  @Authenticated()
  byHost(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Query() query: LogSearchQueryDto,
  ): Promise<LogPageDto> {
    return this.logs.search(auth, { ...query, hostname: hostname.toLowerCase() } as LogSearchQueryDto);
  }

  /** Requests carrying one OAuth client id. */
  @Get('client/:client_id')
  @Authenticated()
  byClient(
    @Auth() auth: AuthContext,
    @Param('client_id') clientId: string,
    @Query() query: LogSearchQueryDto,
  ): Promise<LogPageDto> {
    return this.logs.search(auth, query, { clientId });
  }

  /** Requests of one user (GitHub login, or API token name on the admin API). */
  @Get('user/:user')
  @Authenticated()
  byUser(
    @Auth() auth: AuthContext,
    @Param('user') user: string,
    @Query() query: LogSearchQueryDto,
  ): Promise<LogPageDto> {
    return this.logs.search(auth, query, { user });
  }

  /**
   * Live tail as Server-Sent Events (`text/event-stream`): one `entry` event per new matching
   * entry (`id` = stream id, `data` = the entry as JSON), a comment every 15 s to keep it open.
   * Same field filters as the search; the time window does not apply.
   */
  @Get('follow')
  @Authenticated()
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'Server-Sent Events, one "entry" event per request-log entry' })
  async follow(
    @Auth() auth: AuthContext,
    @Query() query: LogFieldsQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const filter = await this.logs.followFilter(auth, query);
    this.logs.assertVisible(filter);
    const raw = reply.raw;
    const unsubscribe = await this.hub.follow({
      filter,
      send: (entry) => void raw.write(`id: ${entry.id}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`),
      close: () => raw.end(),
    });
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
    });
    raw.write(': following the request log\n\n');
    const heartbeat = setInterval(() => void raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    raw.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      // A hijacked reply skips Fastify's onResponse hooks: record the follow request here.
      this.requestLog.onResponse(request, reply);
    });
  }

  /** Deletes the whole request log (admin). */
  @Delete()
  @Authenticated({ admin: true })
  async clear(): Promise<LogsClearedDto> {
    return { deleted: await this.logs.clear() };
  }
}
