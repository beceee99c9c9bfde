import type { McpListFilters, McpListItemFilter } from './governance';

/** The list in a list method's result, and the field that names each item. */
const LISTS: Readonly<Record<string, { key: string; by: string }>> = {
  'tools/list': { key: 'tools', by: 'name' },
  'prompts/list': { key: 'prompts', by: 'name' },
  'resources/list': { key: 'resources', by: 'uri' },
  'resources/templates/list': { key: 'resourceTemplates', by: 'uriTemplate' },
};

/** What the proxy read of a backend's JSON-RPC answer (one body, or the data of one SSE event). */
export interface ReadAnswer {
  /** Some list lost items: the value must be re-serialized. */
  changed: boolean;
  /** The code of the first JSON-RPC error response in it (request log `mcp_error`). */
  errorCode?: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keeps the items the caller may use; an item without a string name cannot be judged and goes. */
function filterList(items: unknown[], by: string, keep: McpListItemFilter): unknown[] {
  return items.filter((item) => isObject(item) && typeof item[by] === 'string' && keep(item[by]));
}

/**
 * Filters one message in place when its id has a filter, and notes the error code of a response.
 * A message that also has a `method` is filtered too: what a client makes of such a hybrid is its
 * own affair, so no list in it passes unfiltered.
 */
function readResponse(message: unknown, lists: McpListFilters, read: ReadAnswer): void {
  if (!isObject(message)) return;
  const error = message.error;
  if (read.errorCode === undefined && !('method' in message) && isObject(error) && typeof error.code === 'number')
    read.errorCode = error.code;
  const result = message.result;
  if (!isObject(result)) return;
  if (lists.stream) {
    for (const [method, keep] of lists.stream) filterIn(result, LISTS[method], keep, read);
    return;
  }
  const id = message.id;
  if (typeof id !== 'string' && typeof id !== 'number') return;
  const filter = lists.byId.get(String(id));
  if (filter) filterIn(result, LISTS[filter.method], filter.keep, read);
}

/** Filters `result[list.key]` when it is a list. */
function filterIn(
  result: Record<string, unknown>,
  list: { key: string; by: string } | undefined,
  keep: McpListItemFilter,
  read: ReadAnswer,
): void {
  if (!list || !Array.isArray(result[list.key])) return;
  const items = result[list.key] as unknown[];
  const kept = filterList(items, list.by, keep);
  if (kept.length === items.length) return;
  result[list.key] = kept;
  read.changed = true;
}

/**
 * Applies the list filters to a parsed JSON-RPC answer (one message or a batch), in place: the
 * responses whose id has a filter keep only the items the caller may use (`result.tools` and
 * `prompts` by `name`, `resources` by `uri`, `resourceTemplates` by `uriTemplate`).
 */
export function filterAnswer(value: unknown, lists: McpListFilters): ReadAnswer {
  const read: ReadAnswer = { changed: false };
  if (Array.isArray(value)) for (const message of value) readResponse(message, lists, read);
  else readResponse(value, lists, read);
  return read;
}

/** Parses JSON text, or says why it is not JSON. */
export function parseJson(text: string): { value: unknown } | { reason: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { reason: (error as Error).message };
  }
}
