import type { RateLimitRecord } from '@app/config';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
} from 'class-validator';

export const ROUTE_MODES = ['all', 'selective', 'none'] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

/** A public hostname and the backend it forwards to, with its per-host settings. */
export class ProxyTargetRecord {
  @IsString()
  hostname!: string;

  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  target_url!: string;

  /** Token that created it. */
  @IsString()
  owner!: string;

  @IsBoolean()
  enabled!: boolean;

  @IsBoolean()
  enable_http!: boolean;

  @IsBoolean()
  enable_https!: boolean;

  @IsBoolean()
  preserve_host_header!: boolean;

  @IsBoolean()
  redirect_http_to_https!: boolean;

  @IsObject()
  custom_headers!: Record<string, string>;

  @IsObject()
  custom_response_headers!: Record<string, string>;

  /** Seconds to wait for the TCP (and TLS) connection to the backend. */
  @IsInt()
  @Min(1)
  @Max(600)
  connect_timeout!: number;

  /** Seconds the backend may stay silent (before its headers, or between body bytes). */
  @IsInt()
  @Min(1)
  @Max(86400)
  read_timeout!: number;

  @IsOptional()
  @IsString()
  cert_email?: string;

  @IsOptional()
  @IsString()
  acme_directory_url?: string;

  /** Certificate attached by the certificates module (null until then). */
  @IsOptional()
  @IsString()
  cert_name?: string | null;

  @IsIn(ROUTE_MODES)
  route_mode!: RouteMode;

  @IsString({ each: true })
  enabled_routes!: string[];

  @IsString({ each: true })
  disabled_routes!: string[];

  /** Auth policy configuration, owned by the OAuth module (`/auth` sub-resource); opaque here. */
  @IsOptional()
  @IsObject()
  auth?: Record<string, unknown> | null;

  /**
   * Rate limits on every request to this target (docs/rate-limits.md); absent or empty: none.
   * Checked with rateLimitProblems when written; a stored list that fails it refuses the target (503).
   */
  @IsOptional()
  @IsArray()
  rate_limits?: RateLimitRecord[];

  @IsISO8601()
  created_at!: string;

  @IsOptional()
  @IsISO8601()
  updated_at?: string;
}
