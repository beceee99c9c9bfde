import { compilePolicy, policyProblems, type McpPolicy } from './mcp-policy';
import type { ResourceRecord } from './resource.record';

/**
 * The compiled MCP policy of a stored resource, undefined when it has none. A stored policy this
 * code cannot read throws: `buildView` then refuses its target with 503 (fail closed), as for
 * unreadable auth settings. Scopes are not checked against OAUTH_SCOPES here (the API does that on
 * write): a scope no longer issued only makes its rule unsatisfiable, it opens nothing.
 */
export function servedPolicy(record: ResourceRecord): McpPolicy | undefined {
  const stored: unknown = record.policy;
  if (stored === undefined) return undefined;
  const problems = policyProblems(stored, scopesNamedIn(stored));
  if (problems.length > 0) throw new Error(`the MCP policy of ${record.uri} is invalid: ${problems.join('; ')}`);
  return compilePolicy(record.policy as NonNullable<ResourceRecord['policy']>);
}

function scopesNamedIn(stored: unknown): string[] {
  const rules = (stored as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((r: unknown) => {
    const scopes = (r as { scopes?: unknown } | null)?.scopes;
    return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : [];
  });
}
