import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUrl, Matches, MaxLength, MinLength } from 'class-validator';

/**
 * One rule of an MCP policy (docs/mcp.md, "Policies"). Validated by `policyProblems`
 * (libs/resources/src/mcp-policy.ts), not by decorators: its messages name the rule at fault.
 */
export class McpRuleDto {
  /**
   * Names the rule in validation messages, denials and the request log: 1-64 letters, digits, ".", "_", ":" or "-".
   * @example "writes"
   */
  id!: string;

  /**
   * JSON-RPC method, exact or glob (`*` any run of characters, `?` one character).
   * @example "tools/call"
   */
  method!: string;

  /**
   * Tool or prompt name, or resource URI, exact or glob; absent: any.
   * @example "write_*"
   */
  name?: string;

  /**
   * Every one is required (a missing one is asked for by step-up: 403 insufficient_scope). Each must be in OAUTH_SCOPES.
   * @example ["mcp:write"]
   */
  scopes?: string[];

  /**
   * GitHub logins (case-insensitive); with `emails`, the caller must match one entry of either.
   * @example ["alice"]
   */
  users?: string[];

  /** E-mail addresses (case-insensitive). */
  emails?: string[];

  /** Denies every caller (no scope allows it); exclusive with scopes, users and emails. */
  deny?: boolean;
}

/** The MCP policy of a protected resource: ordered rules, the first that matches decides. */
export class McpPolicyDto {
  /** What a call no rule matches gets (default allow). */
  default?: 'allow' | 'deny';

  /** Tool and prompt names as Prometheus labels (off by default, to bound cardinality). */
  metric_names?: boolean;

  /** Checked in order; at most 200. */
  rules!: McpRuleDto[];
}

export class PolicyDeletedDto {
  /** The resource id. */
  id!: string;
  /** False when the resource had no policy. */
  deleted!: boolean;
}

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

  /** Its MCP policy (as `PUT /api/v1/resources/{id}/policy` takes it); default none: every MCP call is allowed. */
  @IsOptional()
  policy?: McpPolicyDto;
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

  /** Replaces its MCP policy; null removes it. */
  @IsOptional()
  policy?: McpPolicyDto | null;
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
  /** Its MCP policy; null when it has none (every MCP call is allowed). */
  policy!: McpPolicyDto | null;
  created_at!: string;
  updated_at!: string | null;
}

export class ResourceDeletedDto {
  id!: string;
  deleted!: boolean;
}

export class ValidationCheckDto {
  /** target_exists, target_enabled, target_reachable, auth_enabled, policy, challenge, metadata, mcp_initialize */
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
