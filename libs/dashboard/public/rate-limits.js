// Rate limits (docs/rate-limits.md): a proxy target's own, in its editor (a table and a JSON editor;
// the server's problems, each naming the limit, one a line), and the "Rate limits" page listing every
// limit in force (GET /api/v1/rate-limits): global, per target and per MCP policy rule.
import { api } from './api.js';
import { h, text } from './dom.js';
import { confirmedRemoveButton, dataForm, writeWithProblemsOneALine } from './form.js';

/**
 * @typedef {{ per: 'user' | 'client' | 'address', limit: number, window: string }} RateLimit  as stored and as the API takes it
 * @typedef {import('./resource-page.js').Row} Row
 */

const enc = encodeURIComponent;
const EXAMPLE = '[{"per": "user", "limit": 60, "window": "1m"}]';

/** @type {import('./form.js').Field[]} */
const FIELDS = [
  {
    name: 'rate_limits',
    label: 'Limits',
    type: 'json',
    placeholder: EXAMPLE,
    hint: 'A JSON array of at most 5 limits, each counting every request to this target: per user (the signed-in user), client (the OAuth client) or address (the client address; requests without a token always count by it), limit calls in a window ("30s", "1m", "1h", "1d"). A burst of limit calls may come at once, then one every window/limit. See docs/rate-limits.md.',
  },
];

/** `60/1m per user`, as 429 answers name it. @param {RateLimit} limit */
export const limitText = (limit) => `${limit.limit}/${limit.window} per ${limit.per}`;

/** @param {RateLimit[]} limits */
function limitsTable(limits) {
  if (!limits.length) return h('p', { class: 'empty' }, 'No rate limits on this target (global ones still apply).');
  return h(
    'table',
    {},
    h('caption', {}, `${limits.length} rate ${limits.length === 1 ? 'limit' : 'limits'}, all applied to every request`),
    h('thead', {}, h('tr', {}, ...['Counted per', 'Calls', 'Window'].map((label) => h('th', { scope: 'col' }, label)))),
    h(
      'tbody',
      {},
      ...limits.map((limit) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, text(limit.per)),
          h('td', {}, text(limit.limit)),
          h('td', {}, text(limit.window)),
        ),
      ),
    ),
  );
}

/**
 * The limits GET .../rate-limits answers: the list, or an object carrying it; a 404 is "none".
 * @param {Row} row
 * @returns {Promise<RateLimit[]>}
 */
async function loadLimits(row) {
  try {
    const answer = await api('GET', `/api/v1/proxy/targets/${enc(row.hostname)}/rate-limits`);
    return Array.isArray(answer) ? answer : (answer?.rate_limits ?? []);
  } catch (error) {
    if (error.status === 404) return [];
    throw error;
  }
}

/**
 * The editor section of a proxy target's rate limits. Saved with PUT /api/v1/proxy/targets/{hostname}
 * and `rate_limits` (the field the schema drift test checks); removed with DELETE .../rate-limits.
 * @returns {import('./resource-page.js').CustomSection}
 */
export function rateLimitsSection() {
  const targetPath = (/** @type {Row} */ row) => `/api/v1/proxy/targets/${enc(row.hostname)}`;
  return {
    forms: [{ method: 'PUT', path: targetPath, fields: FIELDS }],
    render: async (row, saved) => {
      /** @type {RateLimit[]} */
      let limits;
      try {
        limits = await loadLimits(row);
      } catch (error) {
        return h('p', { class: 'error', role: 'alert' }, `Rate limits: ${error.message}`);
      }
      const remove = confirmedRemoveButton(
        'Remove limits',
        `Remove the rate limits of ${row.hostname}?`,
        () => api('DELETE', `${targetPath(row)}/rate-limits`),
        () => saved('rate limits removed'),
      );
      const form = dataForm({
        label: 'Rate limits',
        submit: 'Save limits',
        fields: FIELDS,
        values: {},
        editing: true,
        headingLevel: 'h3',
        extraButtons: limits.length ? [remove] : [],
        onSubmit: async (body) => {
          // An emptied editor reads as {}: no limits.
          const value = body.rate_limits;
          const rateLimits =
            value && typeof value === 'object' && !Array.isArray(value) && !Object.keys(value).length ? [] : value;
          await writeWithProblemsOneALine(() => api('PUT', targetPath(row), { rate_limits: rateLimits }));
          await saved('rate limits');
        },
      });
      const editor = /** @type {HTMLTextAreaElement} */ (form.querySelector('textarea'));
      editor.rows = 5;
      if (limits.length) editor.value = `[\n${limits.map((l) => `  ${JSON.stringify(l)}`).join(',\n')}\n]`;
      /** @type {HTMLElement} */ (form.querySelector('[role=alert]')).style.whiteSpace = 'pre-line';
      form.insertBefore(limitsTable(limits), form.children[1]);
      return form;
    },
  };
}

// ---- The page: every limit in force ----------------------------------------------------------------

/**
 * @typedef {{ scope: 'global' | 'target' | 'rule', target?: string, resource?: string, resource_id?: string, rule?: string, per: string, limit: number, window: string, label: string, subject: string, key: string }} LimitView
 * @typedef {{ scope: 'target' | 'rule', target: string, resource?: string, rule?: string, problems: string[] }} Unreadable
 */

/** Where a limit is set, in words. @param {LimitView | Unreadable} row */
function whereText(row) {
  if (row.scope === 'global') return 'Every proxied request (RATE_LIMITS)';
  if (row.scope === 'target') return `Target ${row.target}`;
  return `Rule ${row.rule} of ${row.resource}`;
}

/** @param {LimitView[]} limits */
function overviewTable(limits) {
  if (!limits.length) return h('p', { class: 'empty', 'data-table': 'rate-limits' }, 'No rate limits are set.');
  return h(
    'table',
    { 'data-table': 'rate-limits' },
    h('caption', {}, `${limits.length} rate ${limits.length === 1 ? 'limit' : 'limits'} in force`),
    h(
      'thead',
      {},
      h('tr', {}, ...['Where', 'Limit', 'Counted per', 'Redis key'].map((label) => h('th', { scope: 'col' }, label))),
    ),
    h(
      'tbody',
      {},
      ...limits.map((limit) =>
        h(
          'tr',
          { 'data-scope': limit.scope },
          h('th', { scope: 'row' }, whereText(limit)),
          h('td', {}, limit.label),
          h('td', {}, limit.subject),
          h('td', {}, h('code', {}, limit.key)),
        ),
      ),
    ),
  );
}

export const rateLimitsPage = {
  id: 'rate-limits',
  title: 'Rate limits',
  /** @param {HTMLElement} container */
  async render(container) {
    const holder = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'empty' }, 'Loading...'));
    container.append(
      h('h1', {}, 'Rate limits'),
      h(
        'p',
        {},
        'Every limit in force that you may see: global ones (RATE_LIMITS) on every proxied request, those of proxy targets (set in a target’s editor) and those of MCP policy rules (in a resource’s policy). A request over a limit gets 429 with Retry-After; an MCP call a JSON-RPC error. Counters live in Redis, shared by every replica.',
      ),
      holder,
    );
    try {
      /** @type {{ limits: LimitView[], unreadable: Unreadable[] }} */
      const answer = await api('GET', '/api/v1/rate-limits');
      holder.replaceChildren(
        overviewTable(answer.limits),
        ...(answer.unreadable.length
          ? [
              h('h2', {}, 'Limits that cannot be read'),
              h('p', {}, 'Their targets answer 503 until the limits are fixed:'),
              h(
                'ul',
                { class: 'checks', 'data-list': 'unreadable' },
                ...answer.unreadable.map((u) =>
                  h('li', { class: 'status-bad' }, `${whereText(u)}: ${u.problems.join('; ')}`),
                ),
              ),
            ]
          : []),
      );
    } catch (error) {
      holder.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
    holder.removeAttribute('aria-busy');
  },
};
