// "MCP activity": the governance audit of the request log (GET /api/v1/logs/mcp) — calls over time
// per decision, the most called tools, the busiest users and the rules that denied most, each
// count linking to the request log filtered to those requests.
import { api } from './api.js';
import { lineChart } from './charts.js';
import { h } from './dom.js';

/**
 * The decision columns, in order. `rate-limited`: refused by a rate limit (docs/rate-limits.md). A
 * decision the API does not report (an older server) shows "-" rather than a count it does not have.
 */
const DECISION_COLUMNS = [
  ['allowed', 'Allowed'],
  ['denied-scope', 'Denied: scope'],
  ['denied-identity', 'Denied: identity'],
  ['rate-limited', 'Rate limited'],
];
const HOURS = { '1h': 1, '24h': 24 };

/** Counts, and the axis' half steps (2.5). @param {number} n */
const count = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * A link to the request log showing these requests.
 * @param {Record<string, string | number | undefined>} filters
 * @param {string} label
 */
function logLink(filters, label) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined) query.set(k, String(v));
  return h('a', { href: `#/logs?${query}` }, label);
}

/**
 * The charts: calls, then one per decision the API reports.
 * @param {any} answer  the answer of GET /api/v1/logs/mcp
 */
function charts(answer) {
  return h(
    'div',
    { class: 'charts' },
    lineChart({ title: 'MCP calls', id: 'calls', buckets: answer.buckets, value: (b) => b.calls, format: count }),
    ...DECISION_COLUMNS.filter(([d]) => d in answer.decisions).map(([d, label]) =>
      lineChart({ title: label, id: d, buckets: answer.buckets, value: (b) => b.decisions[d], format: count }),
    ),
  );
}

/**
 * A table of counts per decision, each count a link to its requests in the log.
 * @param {object} spec
 * @param {string} spec.id  data-table
 * @param {string} spec.caption
 * @param {string[]} spec.heads  the columns naming the row
 * @param {any[]} spec.rows
 * @param {(row: any) => (Node | string)[]} spec.names  the cells naming the row
 * @param {(row: any) => Record<string, string> | null} spec.filters  the row's requests in the log (null: no filter finds them)
 * @param {number} spec.hours
 */
function countTable(spec) {
  if (!spec.rows.length)
    return h('p', { class: 'empty', 'data-table': spec.id }, `${spec.caption}: none in this window.`);
  return h(
    'table',
    { class: 'host-table', 'data-table': spec.id },
    h('caption', {}, spec.caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...[...spec.heads, 'Calls', ...DECISION_COLUMNS.map(([, label]) => label)].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...spec.rows.map((row) => {
        const own = spec.filters(row);
        const filters = own && { ...own, hours: String(spec.hours) };
        /** @param {number} n @param {string} [decision] */
        const cell = (n, decision) =>
          filters && n ? logLink(decision ? { ...filters, decision } : filters, String(n)) : String(n);
        const [first, ...rest] = spec.names(row);
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, first),
          ...rest.map((cell) => h('td', {}, cell)),
          h('td', {}, cell(row.calls)),
          ...DECISION_COLUMNS.map(([d]) => {
            const n = row.decisions[d];
            if (n === undefined) return h('td', { title: 'not recorded yet' }, '-');
            return h('td', { 'data-decision': d }, cell(n, d));
          }),
        );
      }),
    ),
  );
}

/**
 * @param {HTMLElement} holder
 * @param {'1h' | '24h'} window
 */
async function load(holder, window) {
  const answer = await api('GET', `/api/v1/logs/mcp?window=${window}`);
  const hours = HOURS[window];
  const totals = DECISION_COLUMNS.filter(([d]) => d in answer.decisions).map(
    ([d, label]) => `${label}: ${answer.decisions[d]}`,
  );
  holder.replaceChildren(
    h('p', { 'data-totals': '' }, `${answer.calls} MCP calls in this window. ${totals.join(', ')}.`),
    h('div', { 'data-series': 'mcp' }, charts(answer)),
    ...(answer.truncated
      ? [h('p', { class: 'hint' }, 'More requests than one query reads: the newest are counted.')]
      : []),
    countTable({
      id: 'tools',
      caption: `Most called tools (top ${answer.tools.length})`,
      heads: ['Tool'],
      rows: answer.tools,
      names: (t) => [t.name],
      filters: (t) => ({ mcp_name: t.name }),
      hours,
    }),
    countTable({
      id: 'users',
      caption: `Busiest users (top ${answer.users.length})`,
      heads: ['User'],
      rows: answer.users,
      // Refused before the caller was known (the token lacked the resource's scope): no user to filter by.
      names: (u) => [u.user ?? '(not identified)'],
      filters: (u) => (u.user === null ? null : { user: u.user }),
      hours,
    }),
    countTable({
      id: 'rules',
      caption: `Rules that denied most (top ${answer.denied_rules.length})`,
      heads: ['Rule', 'Host'],
      rows: answer.denied_rules,
      names: (r) => [r.rule, r.hostname],
      filters: (r) => ({ hostname: r.hostname, mcp_rule: r.rule }),
      hours,
    }),
  );
}

export const mcpActivityPage = {
  id: 'mcp-activity',
  title: 'MCP activity',
  /** @param {HTMLElement} container */
  async render(container) {
    const holder = h('div', { 'aria-live': 'polite' });
    /** @type {'1h' | '24h'} */
    let window = '1h';
    const show = () =>
      load(holder, window).catch((error) =>
        holder.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message)),
      );
    const windowButtons = /** @type {const} */ (['1h', '24h']).map((w) =>
      h(
        'button',
        {
          type: 'button',
          'aria-pressed': String(w === window),
          'data-window': w,
          onclick: async () => {
            window = w;
            for (const b of windowButtons) b.setAttribute('aria-pressed', String(b.dataset.window === w));
            await show();
          },
        },
        w === '1h' ? 'Last hour' : 'Last day',
      ),
    );
    container.append(
      h('h1', {}, 'MCP activity'),
      h(
        'p',
        {},
        'Calls to protected MCP servers and what their policies decided, from the request log. Counts link to the requests.',
      ),
      h('div', { class: 'buttons', role: 'group', 'aria-label': 'Time window' }, ...windowButtons),
      holder,
    );
    await show();
  },
};
