import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, Min } from 'class-validator';

export const ROUTE_TARGET_TYPES = ['instance', 'port', 'hostname', 'url'] as const;
export type RouteTargetType = (typeof ROUTE_TARGET_TYPES)[number];
export const ROUTE_SCOPES = ['global', 'proxy'] as const;
export type RouteScope = (typeof ROUTE_SCOPES)[number];

/** A path route: requests whose path matches go to `target_value` instead of the host's own backend. */
export class RouteRecord {
  @IsString()
  route_id!: string;

  @IsString()
  path_pattern!: string;

  @IsBoolean()
  is_regex!: boolean;

  @IsIn(ROUTE_TARGET_TYPES)
  target_type!: RouteTargetType;

  @IsString()
  target_value!: string;

  @IsInt()
  @Min(0)
  @Max(999)
  priority!: number;

  /** Upper-case HTTP methods; empty means every method. */
  @IsString({ each: true })
  methods!: string[];

  @IsIn(ROUTE_SCOPES)
  scope!: RouteScope;

  @IsString({ each: true })
  proxy_hostnames!: string[];

  @IsBoolean()
  enabled!: boolean;

  /** Skip the target's auth policy for this route (explicit opt-out; default false). */
  @IsBoolean()
  bypass_auth!: boolean;

  @IsString()
  description!: string;

  @IsString()
  owner!: string;

  /** Creation order: breaks priority ties (lower first). */
  @IsInt()
  created_seq!: number;

  @IsISO8601()
  created_at!: string;

  @IsOptional()
  @IsISO8601()
  updated_at?: string;
}
