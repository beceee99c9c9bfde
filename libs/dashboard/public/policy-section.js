// The MCP policy of a protected resource, in its editor: the rules as a table, and a form taking
// them as JSON (the server validates; its problems, each naming the rule, are shown one a line).
import { api } from './api.js';
import { h, text } from './dom.js';
import { confirmedRemoveButton, dataForm, writeWithProblemsOneALine } from './form.js';
import { limitText } from './rate-limits.js';

/**
 * @typedef {{ id: string, method: string, name?: string, scopes?: string[], users?: string[], emails?: string[], orgs?: string[], teams?: string[], deny?: boolean, rate_limits?: import('./rate-limits.js').RateLimit[] }} Rule
 * @typedef {{ default?: 'allow' | 'deny', metric_names?: boolean, rules: Rule[] }} Policy  the body of GET|PUT /api/v1/resources/{id}/policy
 * @typedef {import('./resource-page.js').Row} Row
 */

/** @type {import('./form.js').Field[]} */
const FIELDS = [
  {
    name: 'rules',
    label: 'Rules',
    type: 'json',
    required: true,
    placeholder: '[{"id": "writes", "method": "tools/call", "name": "write_*", "scopes": ["mcp:write"]}]',
    hint: 'A JSON array, checked in order: the first rule whose method and name match a call decides. Fields: id, method, name (globs with * and ?), scopes, users, emails, orgs, teams (org/team-slug), deny, rate_limits (e.g. [{"per": "user", "limit": 10, "window": "1m"}], counting the calls the rule matches). See docs/mcp.md, "Policies", and docs/rate-limits.md.',
  },
  { name: 'default', label: 'When no rule matches', type: 'select', options: ['allow', 'deny'] },
  { name: 'metric_names', label: 'Tool and prompt names as metric labels', type: 'checkbox' },
];

/**
 * One rule a line: easy to read, reorder and edit.
 * @param {Rule[]} rules
 */
const rulesText = (rules) =>
  rules.length ? `[\n${rules.map((rule) => `  ${JSON.stringify(rule)}`).join(',\n')}\n]` : '[]';

/** @param {Rule} rule */
function requirement(rule) {
  const parts = [
    ...(rule.scopes ?? []).map((s) => `scope ${s}`),
    ...(rule.users ?? []).map((u) => `user ${u}`),
    ...(rule.emails ?? []).map((e) => `email ${e}`),
    ...(rule.orgs ?? []).map((o) => `org ${o}`),
    ...(rule.teams ?? []).map((t) => `team ${t}`),
  ];
  return parts.length ? parts.join(', ') : '-';
}

/** @param {Policy | null} policy */
function rulesTable(policy) {
  if (!policy) return h('p', { class: 'empty' }, 'No policy: every MCP call is allowed.');
  const fallback = `When no rule matches: ${policy.default ?? 'allow'}.`;
  if (policy.rules.length === 0) return h('p', { class: 'empty' }, `No rules. ${fallback}`);
  return h(
    'table',
    {},
    h('caption', {}, `${policy.rules.length} policy rules, in order. ${fallback}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['ID', 'Method', 'Name', 'Requires', 'Deny', 'Rate limits'].map((label) => h('th', { scope: 'col' }, label)),
      ),
    ),
    h(
      'tbody',
      {},
      ...policy.rules.map((rule) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, text(rule.id)),
          h('td', {}, text(rule.method)),
          h('td', {}, rule.name ?? '*'),
          h('td', {}, requirement(rule)),
          h('td', {}, rule.deny ? 'yes' : 'no'),
          h('td', {}, rule.rate_limits?.length ? rule.rate_limits.map(limitText).join(', ') : '-'),
        ),
      ),
    ),
  );
}

/**
 * The editor section of a resource's MCP policy.
 * @param {(row: Row) => string} path  of the resource's policy (`/api/v1/resources/{id}/policy`)
 * @returns {import('./resource-page.js').CustomSection}
 */
export function policySection(path) {
  return {
    forms: [{ method: 'PUT', path, fields: FIELDS }],
    render: async (row, saved) => {
      /** @type {Policy | null} */
      let policy = null;
      try {
        policy = await api('GET', path(row));
      } catch (error) {
        if (error.status !== 404) return h('p', { class: 'error', role: 'alert' }, `Policy: ${error.message}`);
      }
      const remove = confirmedRemoveButton(
        'Remove policy',
        `Remove the MCP policy of ${row.uri}? Every MCP call is allowed again.`,
        () => api('DELETE', path(row)),
        () => saved('policy removed'),
      );
      const form = dataForm({
        label: 'Policy',
        submit: 'Save policy',
        fields: FIELDS,
        values: policy ?? {},
        editing: true,
        headingLevel: 'h3',
        extraButtons: policy ? [remove] : [],
        onSubmit: async (body) => {
          await writeWithProblemsOneALine(() => api('PUT', path(row), body));
          await saved('policy');
        },
      });
      const rules = /** @type {HTMLTextAreaElement} */ (form.querySelector('textarea'));
      rules.rows = 10;
      if (policy) rules.value = rulesText(policy.rules);
      /** @type {HTMLElement} */ (form.querySelector('[role=alert]')).style.whiteSpace = 'pre-line';
      form.insertBefore(rulesTable(policy), form.children[1]);
      return form;
    },
  };
}
