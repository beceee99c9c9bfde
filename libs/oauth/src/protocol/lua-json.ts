/**
 * Redis Lua's cjson cannot tell an empty array from an empty object and writes `{}` for both; JSON
 * rewritten by a script gets its empty arrays back here before the record is validated.
 */
export function restoreEmptyArrays(raw: string, fields: readonly string[]): string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (typeof value !== 'object' || value === null) return raw;
  const record = value as Record<string, unknown>;
  for (const field of fields) {
    const v = record[field];
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) record[field] = [];
  }
  return JSON.stringify(record);
}
