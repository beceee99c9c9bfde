import type { RateLimitRecord } from '@app/config';
import {
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
} from 'class-validator';
import { ROUTE_MODES, type RouteMode } from '../proxy-target.record';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

/** Per-host settings shared by create and update. */
export class ProxyTargetSettingsDto {
  /** Serve this hostname at all (false answers 404 as if unknown). */
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;

  /** Serve on the HTTP listener. Default true. */
  @IsOptional()
  @IsBoolean({ message: 'enable_http must be true or false' })
  enable_http?: boolean;

  /** Serve on the HTTPS listener. Default true. */
  @IsOptional()
  @IsBoolean({ message: 'enable_https must be true or false' })
  enable_https?: boolean;

  /** Send the client's Host header to the backend (true, default) or the backend's own host. */
  @IsOptional()
  @IsBoolean({ message: 'preserve_host_header must be true or false' })
  preserve_host_header?: boolean;

  /** Answer plain-HTTP requests with a 301 to https. Default false. */
  @IsOptional()
  @IsBoolean({ message: 'redirect_http_to_https must be true or false' })
  redirect_http_to_https?: boolean;

  /** Headers added to every request to the backend. */
  @IsOptional()
  @IsObject({ message: 'custom_headers must be an object of header name to string value' })
  custom_headers?: Record<string, string>;

  /** Headers added to every response to the client. */
  @IsOptional()
  @IsObject({ message: 'custom_response_headers must be an object of header name to string value' })
  custom_response_headers?: Record<string, string>;

  /** Seconds to wait for the backend connection (1-600, default 10); then 504. */
  @IsOptional()
  @IsInt({ message: 'connect_timeout must be a whole number of seconds' })
  @Min(1)
  @Max(600)
  connect_timeout?: number;

  /** Seconds the backend may stay silent before headers or between body bytes (1-86400, default 300); then 504. */
  @IsOptional()
  @IsInt({ message: 'read_timeout must be a whole number of seconds' })
  @Min(1)
  @Max(86400)
  read_timeout?: number;

  /**
   * Rate limits on every request to this target, e.g. `[{"per":"user","limit":60,"window":"1m"}]`
   * (`per`: user, client or address; `window`: 30s, 1m, 1h, 1d...; at most 5). `[]`: none.
   */
  @IsOptional()
  @IsArray({ message: 'rate_limits must be an array of limits such as [{"per":"user","limit":60,"window":"1m"}]' })
  rate_limits?: RateLimitRecord[];
}

export class UpdateProxyTargetDto extends ProxyTargetSettingsDto {
  /** Attach an existing certificate (yours, covering this hostname) by name. */
  @IsOptional()
  @IsString({ message: 'cert_name must be the name of an existing certificate' })
  cert_name?: string;

  /** Backend URL, http or https, e.g. `http://127.0.0.1:3000`. A path is prefixed to every request path. */
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'target_url must be an http:// or https:// URL, e.g. http://127.0.0.1:3000' })
  target_url?: string;
}

export class CreateProxyTargetDto extends ProxyTargetSettingsDto {
  /** Public hostname (IDN accepted, stored lower-case in ASCII form); no scheme, port or path. */
  @IsString({ message: 'hostname must be a DNS name such as api.example.com' })
  hostname!: string;

  /** Backend URL, http or https, e.g. `http://127.0.0.1:3000`. A path is prefixed to every request path. */
  @IsUrl(URL_OPTIONS, { message: 'target_url must be an http:// or https:// URL, e.g. http://127.0.0.1:3000' })
  target_url!: string;

  /** E-mail for the ACME certificate (certificates module). */
  @IsOptional()
  @IsEmail({ require_tld: false }, { message: 'cert_email must be an e-mail address' })
  cert_email?: string;

  /** ACME directory for the automatic certificate: `production`, `staging` or an https:// directory URL. */
  @IsOptional()
  @IsString({ message: 'acme_directory_url must be "production", "staging" or an https:// ACME directory URL' })
  acme_directory_url?: string;

  /** Use this existing certificate (yours, covering the hostname) instead of ordering `proxy-<hostname>`. */
  @IsOptional()
  @IsString({ message: 'cert_name must be the name of an existing certificate' })
  cert_name?: string;
}

export class ProxyTargetDto {
  hostname!: string;
  target_url!: string;
  owner!: string;
  enabled!: boolean;
  enable_http!: boolean;
  enable_https!: boolean;
  preserve_host_header!: boolean;
  redirect_http_to_https!: boolean;
  custom_headers!: Record<string, string>;
  custom_response_headers!: Record<string, string>;
  connect_timeout!: number;
  read_timeout!: number;
  cert_name!: string | null;
  route_mode!: RouteMode;
  enabled_routes!: string[];
  disabled_routes!: string[];
  created_at!: string;
  updated_at!: string | null;
  /** OAuth protection is on (the `/auth` sub-resource): requests need a token or a sign-in. */
  protected!: boolean;
  /** The target's rate limits (`/rate-limits` sub-resource); `[]`: none. */
  rate_limits!: RateLimitRecord[];
  /** Where the target is in its lifecycle (HTTPS readiness). */
  lifecycle!: ProxyTargetLifecycleDto;
}

export const LIFECYCLE_STATES = ['pending', 'http_only', 'ready', 'failed'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export class ProxyTargetLifecycleDto {
  /**
   * `pending`: its certificate is being ordered (HTTP serves meanwhile); `http_only`: no certificate
   * (HTTPS off, or none attached/ordered); `ready`: HTTPS serves its certificate; `failed`: the
   * certificate could not be obtained (see `reason`).
   */
  state!: LifecycleState;
  /** Why, for `failed` (and `http_only` when a certificate is named but missing). */
  reason!: string | null;
}

export class ProxyTargetCreatedDto {
  proxy_target!: ProxyTargetDto;
  /** State of the target's certificate (`pending` while ordered in the background); null for HTTP-only targets or with AUTO_CERTIFICATES=false. */
  certificate_status!: string | null;
  cert_name!: string | null;
}

export class ProxyTargetDeletedDto {
  hostname!: string;
  deleted!: boolean;
  certificate_deleted!: boolean;
}

export class ProxyTargetRouteSettingsDto {
  /** `all`: every applicable route except `disabled_routes`; `selective`: only `enabled_routes`; `none`: no routes. */
  @IsIn(ROUTE_MODES, { message: `route_mode must be one of ${ROUTE_MODES.join(', ')}` })
  route_mode!: RouteMode;

  @IsOptional()
  @IsString({ each: true, message: 'enabled_routes must be a list of route ids' })
  enabled_routes?: string[];

  @IsOptional()
  @IsString({ each: true, message: 'disabled_routes must be a list of route ids' })
  disabled_routes?: string[];
}
