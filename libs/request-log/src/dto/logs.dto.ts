import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsIP, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DECISIONS, LISTENERS, type RequestLogDecision, type RequestLogListener } from '../request-log-entry';
import { TIMESERIES_WINDOWS, type TimeseriesWindow } from '../request-log.timeseries';

const trimLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

/** The time window of a query: `since`/`until` (ISO 8601) or the last `hours` (default 24). */
export class LogWindowQueryDto {
  /** Look back this many hours (default 24, capped at LOG_RETENTION_HOURS). Ignored when `since` is given. */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'hours must be a whole number of hours, e.g. 6' })
  @Min(1, { message: 'hours must be at least 1' })
  @Max(24 * 90, { message: 'hours must be at most 2160' })
  hours?: number;

  /** Start of the window, ISO 8601 (e.g. 2026-11-22T10:00:00Z). */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 time, e.g. 2026-11-22T10:00:00Z' })
  since?: string;

  /** End of the window, ISO 8601; default now. */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 time, e.g. 2026-11-22T11:00:00Z' })
  until?: string;
}

/** Field filters shared by search, errors and follow. */
export class LogFieldsQueryDto extends LogWindowQueryDto {
  /** Free text: part of the path, host, IP, user, client id, upstream, error or request id. */
  @IsOptional()
  @IsString()
  @MaxLength(200, { message: 'q must be at most 200 characters' })
  q?: string;

  /** Exact host the client asked for. */
  @IsOptional()
  @Transform(trimLower)
  @Matches(/^[a-z0-9.:_\-[\]]{1,255}$/, { message: 'hostname must be a host name such as api.example.com' })
  hostname?: string;

  /** Client IP (the PROXY-protocol address on that listener). */
  @IsOptional()
  @IsIP(undefined, { message: 'ip must be an IPv4 or IPv6 address' })
  ip?: string;

  /** OAuth user (GitHub login), or the API token name for admin-API entries. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  user?: string;

  /** OAuth client id. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  client_id?: string;

  /** Exact status (404) or class (4xx). */
  @IsOptional()
  @Matches(/^([1-5]\d\d|[1-5]xx)$/, { message: 'status must be a status code such as 404 or a class such as 4xx' })
  status?: string;

  @IsOptional()
  @Transform(upper)
  @Matches(/^[A-Z]{1,16}$/, { message: 'method must be an HTTP method such as GET' })
  method?: string;

  /** Path prefix, e.g. /api/v1/tokens. */
  @IsOptional()
  @Matches(/^\/\S{0,2047}$/, { message: 'path must be a path prefix starting with /' })
  path?: string;

  @IsOptional()
  @IsIn(LISTENERS, { message: `listener must be one of ${LISTENERS.join(', ')}` })
  listener?: RequestLogListener;

  /** JSON-RPC method of MCP requests the proxy inspected (their first message), exact, e.g. tools/call. */
  @IsOptional()
  @IsString()
  @Matches(/^\S{1,128}$/, {
    message: 'mcp_method must be a JSON-RPC method such as tools/call (no spaces, at most 128 characters)',
  })
  mcp_method?: string;

  /** Tool or prompt name, or resource URI, of MCP requests the proxy inspected, exact, e.g. get_weather. */
  @IsOptional()
  @IsString()
  @MaxLength(512, { message: 'mcp_name must be at most 512 characters' })
  mcp_name?: string;

  /**
   * Authorization decision: allowed, denied-scope (more scope would allow it), denied-identity (no
   * scope would) or rate-limited (a rate limit refused it).
   */
  @IsOptional()
  @IsIn(DECISIONS, { message: `decision must be one of ${DECISIONS.join(', ')}` })
  decision?: RequestLogDecision;

  /** Id of the MCP policy rule that decided (`default`: the policy's default), exact. */
  @IsOptional()
  @IsString()
  @Matches(/^\S{1,128}$/, { message: 'mcp_rule must be a rule id (no spaces, at most 128 characters)' })
  mcp_rule?: string;
}

export class LogSearchQueryDto extends LogFieldsQueryDto {
  /** Rows per page, 1-1000 (default 100). */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(1000, { message: 'limit must be at most 1000' })
  limit?: number;

  /** Rows to skip (default 0). */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number' })
  @Min(0, { message: 'offset must be at least 0' })
  @Max(100_000, { message: 'offset must be at most 100000' })
  offset?: number;
}

/** Same filters as the search; without `hostname`, every host, busiest first. */
export class LogStatsQueryDto extends LogFieldsQueryDto {}

export class LogTimeseriesQueryDto {
  /** 1h (60 one-minute buckets, the default) or 24h (96 quarter-hour buckets). */
  @IsOptional()
  @IsIn(Object.keys(TIMESERIES_WINDOWS), { message: 'window must be 1h or 24h' })
  window?: TimeseriesWindow;

  /** Only this host (exact, as the client asked for it). */
  @IsOptional()
  @Transform(trimLower)
  @Matches(/^[a-z0-9.:_\-[\]]{1,255}$/, { message: 'hostname must be a host name such as api.example.com' })
  hostname?: string;
}

export class OAuthFlowQueryDto extends LogWindowQueryDto {
  /** The OAuth client whose flow to line up. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  client_id?: string;

  /** The user (GitHub login) whose flow to line up. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  user?: string;

  /** The client IP whose OAuth requests to line up. */
  @IsOptional()
  @IsIP(undefined, { message: 'ip must be an IPv4 or IPv6 address' })
  ip?: string;
}

export class LogEntryDto {
  /** Stream id (`<ms>-<seq>`): the entry's position in the log. */
  id!: string;
  /** Arrival time, epoch milliseconds. */
  ts!: number;
  client_ip!: string;
  host!: string;
  method!: string;
  /** Path without the query string. */
  path!: string;
  status!: number;
  bytes_in?: number;
  bytes_out!: number;
  duration_ms!: number;
  upstream?: string;
  auth_user?: string;
  oauth_client_id?: string;
  request_id!: string;
  listener!: RequestLogListener;
  error?: string;
  /** Inspected MCP requests: the JSON-RPC method of the (first) message. */
  mcp_method?: string;
  /** Inspected MCP requests: the tool or prompt name or resource URI the (first) message names. */
  mcp_name?: string;
  /** Inspected MCP requests: the JSON-RPC id of the (first) message. */
  mcp_id?: string;
  /** Inspected MCP requests sent as a batch: the number of messages. */
  mcp_batch?: number;
  /** allowed, denied-scope or denied-identity (an MCP policy's verdict or the proxy's own 403), or rate-limited (a 429). */
  decision?: RequestLogDecision;
  /** The MCP policy rule that decided. */
  mcp_rule?: string;
  /** The JSON-RPC error code of the answer (the proxy's own refusals, or read from the backend's). */
  mcp_error?: number;
}

export class LogPageDto {
  /** Window actually searched (ISO 8601). */
  since!: string;
  until!: string;
  /** Matching entries in the window. */
  total!: number;
  limit!: number;
  offset!: number;
  /** True when the window held more entries than one query examines (100000): narrow it. */
  truncated!: boolean;
  /** Newest first. */
  entries!: LogEntryDto[];
}

export class HostStatsDto {
  hostname!: string;
  requests!: number;
  /** Requests per status class (2xx, 3xx, 4xx, 5xx). */
  status_classes!: Record<string, number>;
  /** Share of requests answered 5xx or failed by the proxy (0-1). */
  error_rate!: number;
  p50_ms!: number | null;
  p95_ms!: number | null;
  p99_ms!: number | null;
  unique_ips!: number;
  bytes_out!: number;
}

export class LogStatsDto {
  since!: string;
  until!: string;
  truncated!: boolean;
  /** Busiest first. */
  hosts!: HostStatsDto[];
}

export class TimeBucketDto {
  /** Start of the bucket, ISO 8601. */
  start!: string;
  requests!: number;
  /** Requests answered 5xx or failed by the proxy. */
  errors!: number;
  requests_per_s!: number;
  /** errors / requests (0-1); 0 for an empty bucket. */
  error_rate!: number;
  /** 95th percentile of the duration (nearest rank); null for an empty bucket. */
  p95_ms!: number | null;
}

export class TimeSeriesDto {
  /** Requests in the whole window. */
  requests!: number;
  errors!: number;
  p95_ms!: number | null;
  /** Oldest first, every bucket of the window (empty ones too). */
  buckets!: TimeBucketDto[];
}

export class HostTimeSeriesDto extends TimeSeriesDto {
  hostname!: string;
}

export class LogTimeseriesDto {
  window!: string;
  /** Start of the first bucket. */
  since!: string;
  until!: string;
  bucket_seconds!: number;
  /** True when the window held more entries than one query examines (100000). */
  truncated!: boolean;
  overall!: TimeSeriesDto;
  /** The 10 busiest hosts, busiest first. */
  hosts!: HostTimeSeriesDto[];
}

export class DecisionCountsDto {
  allowed!: number;
  /** Denied; more scope would allow it. */
  'denied-scope'!: number;
  /** Denied; no scope would allow it (the rule's identity condition, a deny rule, the policy's default). */
  'denied-identity'!: number;
  /** Refused by a rate limit (429, or JSON-RPC error -32029), docs/rate-limits.md. */
  'rate-limited'!: number;
}

export class McpActivityCountsDto {
  /** MCP requests: inspected JSON-RPC requests and the proxy's own 403s on protected targets. */
  calls!: number;
  /** Calls per decision, every recorded decision with a key; `calls` minus their sum had none recorded. */
  decisions!: DecisionCountsDto;
}

export class McpActivityBucketDto extends McpActivityCountsDto {
  /** Start of the bucket, ISO 8601. */
  start!: string;
}

export class McpToolActivityDto extends McpActivityCountsDto {
  /** Tool or prompt name, or resource URI (the request log's `mcp_name`). */
  name!: string;
}

export class McpUserActivityDto extends McpActivityCountsDto {
  /** OAuth user (the request log's `auth_user`); null for calls refused before a token was read. */
  user!: string | null;
}

export class McpRuleActivityDto extends McpActivityCountsDto {
  hostname!: string;
  /** The policy rule that denied (`default`: the policy's default). */
  rule!: string;
}

export class McpActivityDto extends McpActivityCountsDto {
  window!: string;
  /** Start of the first bucket. */
  since!: string;
  until!: string;
  bucket_seconds!: number;
  /** True when the window held more entries than one query examines (100000): the newest are counted. */
  truncated!: boolean;
  /** Oldest first, every bucket of the window (empty ones too). */
  buckets!: McpActivityBucketDto[];
  /** The 10 most called tools (by `mcp_name`), most called first. */
  tools!: McpToolActivityDto[];
  /** The 10 busiest users, busiest first. */
  users!: McpUserActivityDto[];
  /** The 10 rules that denied most, per host, most first; `calls` counts their denials. */
  denied_rules!: McpRuleActivityDto[];
}

export class OAuthFlowStepDto extends LogEntryDto {
  /** register, authorize, callback, token, protected_call or other. */
  step!: string;
}

export class OAuthStageDto {
  ts!: number;
  status!: number;
  request_id!: string;
}

export class OAuthFlowDto {
  since!: string;
  until!: string;
  /** Oldest first. */
  steps!: OAuthFlowStepDto[];
  authorize!: OAuthStageDto | null;
  callback!: OAuthStageDto | null;
  token!: OAuthStageDto | null;
  first_protected_call!: OAuthStageDto | null;
  completed!: boolean;
  /** First stage missing or failed: authorize, callback, token, protected_call; null when completed. */
  stopped_at!: string | null;
}

export class LogsClearedDto {
  /** Entries deleted. */
  deleted!: number;
}
