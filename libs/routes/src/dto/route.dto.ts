import { ArrayMaxSize, IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ROUTE_SCOPES, ROUTE_TARGET_TYPES, type RouteScope, type RouteTargetType } from '../route.record';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

/** Settings shared by create and update. */
export class RouteOptionsDto {
  @IsOptional()
  @IsBoolean({ message: 'is_regex must be true or false' })
  is_regex?: boolean;

  /** 0-999, higher is tried first (default 50). Built-in routes (ACME challenge 100, OAuth 95) always come first. */
  @IsOptional()
  @IsInt({ message: 'priority must be a whole number 0-999' })
  @Min(0, { message: 'priority must be at least 0' })
  @Max(999, { message: 'priority must be at most 999' })
  priority?: number;

  /** HTTP methods this route serves; empty or absent means every method. */
  @IsOptional()
  @ArrayMaxSize(HTTP_METHODS.length)
  @IsString({ each: true, message: 'methods must be a list such as ["GET", "POST"]' })
  methods?: string[];

  /** `global` applies on every proxy target; `proxy` only on `proxy_hostnames`. Global routes need the admin token. */
  @IsOptional()
  @IsIn(ROUTE_SCOPES, { message: `scope must be one of ${ROUTE_SCOPES.join(', ')}` })
  scope?: RouteScope;

  @IsOptional()
  @ArrayMaxSize(100)
  @IsString({ each: true, message: 'proxy_hostnames must be a list of hostnames' })
  proxy_hostnames?: string[];

  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;

  /** Explicitly skip the target's auth policy for this route (default false). */
  @IsOptional()
  @IsBoolean({ message: 'bypass_auth must be true or false' })
  bypass_auth?: boolean;

  @IsOptional()
  @IsString()
  @MaxLength(500, { message: 'description must be at most 500 characters' })
  description?: string;
}

export class CreateRouteDto extends RouteOptionsDto {
  /** A path prefix such as `/api/` or, with `is_regex`, a JavaScript regex tested against the path (no query), run on RE2: no backreferences or lookaround. */
  @IsString({ message: 'path_pattern must be a string such as /api/' })
  path_pattern!: string;

  /** `instance` (a registered name), `port` (127.0.0.1:<port>), `hostname` (another proxy target's backend), `url`. */
  @IsIn(ROUTE_TARGET_TYPES, { message: `target_type must be one of ${ROUTE_TARGET_TYPES.join(', ')}` })
  target_type!: RouteTargetType;

  @IsString({ message: 'target_value must be a string (instance name, port number, hostname or URL)' })
  @MaxLength(2048)
  target_value!: string;
}

/** Any field may change; the others stay. */
export class UpdateRouteDto extends RouteOptionsDto {
  @IsOptional()
  @IsString({ message: 'path_pattern must be a string such as /api/' })
  path_pattern?: string;

  @IsOptional()
  @IsIn(ROUTE_TARGET_TYPES, { message: `target_type must be one of ${ROUTE_TARGET_TYPES.join(', ')}` })
  target_type?: RouteTargetType;

  @IsOptional()
  @IsString({ message: 'target_value must be a string (instance name, port number, hostname or URL)' })
  @MaxLength(2048)
  target_value?: string;
}

export class RouteDto {
  route_id!: string;
  path_pattern!: string;
  is_regex!: boolean;
  target_type!: RouteTargetType;
  target_value!: string;
  priority!: number;
  methods!: string[];
  scope!: RouteScope;
  proxy_hostnames!: string[];
  enabled!: boolean;
  bypass_auth!: boolean;
  description!: string;
  owner!: string;
  /** Creation order; among equal priorities the lower number is tried first. */
  created_seq!: number;
  created_at!: string;
  updated_at!: string | null;
}

export class RouteDeletedDto {
  route_id!: string;
  deleted!: boolean;
}
