import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUrl, Matches, MaxLength, MinLength } from 'class-validator';

const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

/** Register an MCP (or other) resource of a proxy target. */
export class CreateResourceDto {
  /** The resource URI clients connect to, e.g. https://mcp.example.com/mcp; its host must be the proxy target. */
  @IsUrl(URL_OPTIONS, { message: 'uri must be an absolute http(s) URL such as https://mcp.example.com/mcp' })
  uri!: string;

  /** Display name (resource_name in the metadata). */
  @IsString({ message: 'name must be a string' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200)
  name!: string;

  /** The proxy target (hostname) that serves the resource. */
  @IsString({ message: 'proxy_target must be the hostname of a proxy target' })
  proxy_target!: string;

  /** Scopes of the resource (scopes_supported; all are required for access). Default: OAUTH_SCOPES. */
  @IsOptional()
  @IsArray({ message: 'scopes must be a list of scope names' })
  @ArrayMaxSize(50)
  @Matches(SCOPE, { each: true, message: 'scopes must contain scope names without spaces or quotes' })
  scopes?: string[];

  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(2000)
  description?: string;

  /** A URL with documentation for developers (resource_documentation). */
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'resource_documentation must be an absolute http(s) URL' })
  resource_documentation?: string;
}

/** Change any of the fields given. */
export class UpdateResourceDto {
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'uri must be an absolute http(s) URL such as https://mcp.example.com/mcp' })
  uri?: string;

  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200)
  name?: string;

  @IsOptional()
  @IsString({ message: 'proxy_target must be the hostname of a proxy target' })
  proxy_target?: string;

  @IsOptional()
  @IsArray({ message: 'scopes must be a list of scope names' })
  @ArrayMaxSize(50)
  @Matches(SCOPE, { each: true, message: 'scopes must contain scope names without spaces or quotes' })
  scopes?: string[];

  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(2000)
  description?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'resource_documentation must be an absolute http(s) URL' })
  resource_documentation?: string;
}

/** Body of `POST /api/v1/proxy/targets/{hostname}/resource`: the target's resource by endpoint path. */
export class SetTargetResourceDto {
  /** Path of the resource on the target (default /mcp). */
  @IsOptional()
  @Matches(/^\/[^\s?#]*$/, { message: 'endpoint must be a path starting with /, e.g. /mcp' })
  endpoint?: string;

  /** Default ["mcp:read", "mcp:write"]. */
  @IsOptional()
  @IsArray({ message: 'scopes must be a list of scope names' })
  @ArrayMaxSize(50)
  @Matches(SCOPE, { each: true, message: 'scopes must contain scope names without spaces or quotes' })
  scopes?: string[];

  /** Default: the hostname. */
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(200)
  name?: string;

  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(2000)
  description?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'resource_documentation must be an absolute http(s) URL' })
  resource_documentation?: string;
}

export class ResourceDto {
  id!: string;
  uri!: string;
  name!: string;
  proxy_target!: string;
  scopes!: string[];
  description!: string;
  resource_documentation!: string | null;
  owner!: string;
  /** Where the metadata (RFC 9728) is served for this resource. */
  metadata_url!: string;
  created_at!: string;
  updated_at!: string | null;
}

export class ResourceDeletedDto {
  id!: string;
  deleted!: boolean;
}

export class ValidationCheckDto {
  /** target_exists, target_enabled, target_reachable, auth_enabled, challenge, metadata, mcp_initialize */
  check!: string;
  ok!: boolean;
  /** Why it failed (or what was seen). */
  detail!: string;
}

export class ResourceValidationDto {
  id!: string;
  uri!: string;
  valid!: boolean;
  /** The first failed check's detail, null when valid. */
  reason!: string | null;
  checks!: ValidationCheckDto[];
}

export class DiscoveryDto {
  /** Registry entries created. */
  discovered!: ResourceDto[];
  /** Protected targets not registered, with the reason. */
  skipped!: { hostname: string; reason: string }[];
}

export class TargetResourcesDeletedDto {
  hostname!: string;
  deleted!: number;
}
