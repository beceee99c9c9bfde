import { Allow, IsISO8601, IsOptional, IsString } from 'class-validator';
import type { McpPolicyRecord } from './mcp-policy';

/** A protected resource (RFC 9728) of the registry: the one source of the metadata served per host. */
export class ResourceRecord {
  @IsString()
  id!: string;

  /** Canonical resource URI (RFC 8707: no trailing slash, no fragment), e.g. https://mcp.example.com/mcp. */
  @IsString()
  uri!: string;

  @IsString()
  name!: string;

  /** The proxy target (hostname) that serves it; the URI's host. */
  @IsString()
  proxy_target!: string;

  @IsString({ each: true })
  scopes!: string[];

  @IsString()
  description!: string;

  @IsOptional()
  @IsString()
  resource_documentation?: string;

  /** Token that registered it. */
  @IsString()
  owner!: string;

  @IsISO8601()
  created_at!: string;

  @IsOptional()
  @IsISO8601()
  updated_at?: string;

  /**
   * Its MCP policy as the API stored it. Any value decodes (so a broken one is not dropped with its
   * record): the catalog checks it with `policyProblems` and refuses the target when it fails.
   */
  @Allow()
  policy?: McpPolicyRecord;
}

/** The path of a resource URI, '' for the root (`https://h/` and `https://h`). */
export function endpointOf(uri: string): string {
  return new URL(uri).pathname.replace(/\/+$/, '');
}
