/**
 * The JSON-RPC methods of the MCP specification (2025-11-25 and the 2026-07-28 draft), both
 * directions. Bounds the `method` label of `mcp_requests_total` (anything else counts as `other`)
 * and lets the policy see `Tools/Call` as the `tools/call` a case-folding backend might read.
 */
export const MCP_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
  'logging/setLevel',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/message',
  'notifications/roots/list_changed',
  'notifications/resources/updated',
  'notifications/resources/list_changed',
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/elicitation/complete',
  'notifications/tasks/status',
]);

const BY_LOWER_CASE: ReadonlyMap<string, string> = new Map([...MCP_METHODS].map((m) => [m.toLowerCase(), m]));

/**
 * The spec method another spelling stands for to a lenient backend: case folded (`Tools/Call`),
 * padding trimmed (`tools/call `), cut at a NUL (`tools/call\0x`, as C strings are); undefined
 * when it is a spec method itself or stands for none.
 */
export function caseFoldedMethod(method: string): string | undefined {
  if (MCP_METHODS.has(method)) return undefined; // the usual case: no lower-cased copy made
  const nul = method.indexOf('\0');
  const canonical = BY_LOWER_CASE.get((nul < 0 ? method : method.slice(0, nul)).trim().toLowerCase());
  return canonical !== undefined && canonical !== method ? canonical : undefined;
}

/** The `method` label of the MCP metrics: a spec method, else `other` (clients choose the method: bounded here). */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && MCP_METHODS.has(method) ? method : 'other';
}
