export { ResourcesModule } from './resources.module';
export { ResourceCatalog, targetOrigin, type ProtectedHost, type ServedResource } from './resource-catalog';
export { PRM_PATH, protectedResourceMetadata } from './protected-resource-metadata';
export { PREFLIGHT_HEADERS, RESOURCE_CORS_HEADERS } from './resource-cors';
export { endpointOf, ResourceRecord } from './resource.record';
export { ResourceOwnership } from './resource-ownership';
export { ResourcesRepository } from './resources.repository';
export { TARGET_PROTECTION, type ProtectionSettings, type TargetProtectionReader } from './target-protection';
export {
  compilePolicy,
  DEFAULT_RULE,
  evaluateCall,
  LISTED_BY,
  listFilter,
  policyProblems,
  type McpCall,
  type McpCaller,
  type McpPolicy,
  type McpPolicyRecord,
  type McpRuleRecord,
  type McpRuleVerdict,
} from './mcp-policy';
