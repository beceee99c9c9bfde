import type { ColumnSpec } from './command-spec';

/** Reads `a.b.c` from an object. */
export function pick(row: unknown, path: string): unknown {
  let value: unknown = row;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Cell text: `-` for nothing, lists joined by commas, objects as compact JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value))
    return value.length === 0
      ? '-'
      : value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  if (typeof value === 'object') return Object.keys(value).length === 0 ? '-' : JSON.stringify(value);
  return String(value).replace(/[\r\n\t]+/g, ' ');
}

/** Columns for rows without declared columns: every field that holds a scalar in some row, in first-seen order. */
export function inferColumns(rows: readonly Record<string, unknown>[]): ColumnSpec[] {
  const keys: string[] = [];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (!keys.includes(key) && (value === null || typeof value !== 'object')) keys.push(key);
    }
  }
  return keys.map((key) => ({ header: key.toUpperCase().replace(/_/g, ' '), key }));
}

/** An aligned text table: header row, then one line per row; columns separated by two spaces. */
export function renderTable(rows: readonly Record<string, unknown>[], columns?: readonly ColumnSpec[]): string {
  if (rows.length === 0) return '(none)\n';
  const cols = columns && columns.length > 0 ? columns : inferColumns(rows);
  const cells = rows.map((row) =>
    cols.map((c) => (c.format ? c.format(pick(row, c.key), row) : formatValue(pick(row, c.key)))),
  );
  const table = [cols.map((c) => c.header), ...cells];
  const widths = cols.map((_, i) => Math.max(...table.map((line) => line[i].length)));
  return (
    table
      .map((line) =>
        line
          .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** One object as aligned `key  value` lines; nested objects become `parent.child` keys. */
export function renderObject(obj: Record<string, unknown>): string {
  const lines: [string, string][] = [];
  const walk = (value: Record<string, unknown>, prefix: string) => {
    for (const [key, v] of Object.entries(value)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0)
        walk(v as Record<string, unknown>, name);
      else lines.push([name, formatValue(v)]);
    }
  };
  walk(obj, '');
  if (lines.length === 0) return '(empty)\n';
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

/** Any API answer as text: lists as tables, objects as key/value lines, the rest as is. */
export function renderBody(body: unknown, columns?: readonly ColumnSpec[]): string {
  if (Array.isArray(body)) {
    if (body.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r)))
      return renderTable(body as Record<string, unknown>[], columns);
    return body.map((v) => formatValue(v)).join('\n') + '\n';
  }
  if (body !== null && typeof body === 'object') return renderObject(body as Record<string, unknown>);
  if (body === undefined || body === '') return '';
  return `${String(body)}\n`;
}

/**
 * An object that carries its rows in one field (`{ total, truncated, entries: [...] }`): its scalar
 * fields as key/value lines, a blank line, then the rows as a table.
 */
export function renderListAnswer(body: unknown, listKey: string, columns?: readonly ColumnSpec[]): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return renderBody(body, columns);
  const obj = body as Record<string, unknown>;
  const rows = obj[listKey];
  if (!Array.isArray(rows)) return renderBody(body, columns);
  const rest = Object.fromEntries(
    Object.entries(obj).filter(([key, value]) => key !== listKey && (value === null || typeof value !== 'object')),
  );
  const head = Object.keys(rest).length > 0 ? `${renderObject(rest)}\n` : '';
  return head + renderBody(rows, columns);
}
