import type { ColumnSpec } from './command-spec';
import { renderObject, renderTable } from './render';

/** The decisions the request log records, in the order the dashboard shows them. */
const DECISIONS = ['allowed', 'denied-scope', 'denied-identity', 'rate-limited'];

interface Counts {
  calls: number;
  decisions: Record<string, number>;
}

/** A column per decision the answer reports (a server without rate limits has no `rate-limited`). */
function decisionColumns(decisions: Record<string, number>): ColumnSpec[] {
  const known = [
    ...DECISIONS.filter((d) => d in decisions),
    ...Object.keys(decisions).filter((d) => !DECISIONS.includes(d)),
  ];
  return known.map((d) => ({ header: d.toUpperCase(), key: `decisions.${d}` }));
}

/**
 * `proxyctl logs mcp` (GET /api/v1/logs/mcp) as text: the window and its totals per decision, then
 * the most called tools, the busiest users and the rules that denied most, each with a count per
 * decision. The per-bucket series is left to --json and the dashboard's charts.
 */
export function mcpActivityText(body: unknown): string {
  const answer = body as Counts & {
    window: string;
    since: string;
    until: string;
    truncated: boolean;
    tools: (Counts & { name: string })[];
    users: (Counts & { user: string | null })[];
    denied_rules: (Counts & { hostname: string; rule: string })[];
  };
  if (!answer || typeof answer !== 'object' || !answer.decisions)
    return renderObject((body ?? {}) as Record<string, unknown>);
  const decisions = decisionColumns(answer.decisions);
  const counts: ColumnSpec[] = [{ header: 'CALLS', key: 'calls' }, ...decisions];
  const section = (title: string, rows: object[], names: ColumnSpec[]) =>
    `\n${title}\n${renderTable(rows as Record<string, unknown>[], [...names, ...counts])}`;
  const head = renderObject({
    window: answer.window,
    since: answer.since,
    until: answer.until,
    calls: answer.calls,
    ...Object.fromEntries(Object.entries(answer.decisions).map(([d, n]) => [d, n])),
    ...(answer.truncated ? { truncated: 'yes: more requests than one query reads; the newest are counted' } : {}),
  });
  return (
    head +
    section('Most called tools', answer.tools, [{ header: 'TOOL', key: 'name' }]) +
    section('Busiest users', answer.users, [
      { header: 'USER', key: 'user', format: (v) => (typeof v === 'string' ? v : '(not identified)') },
    ]) +
    section('Rules that denied most', answer.denied_rules, [
      { header: 'RULE', key: 'rule' },
      { header: 'HOST', key: 'hostname' },
    ])
  );
}
