// "Add an MCP server": one form that creates the proxy target (its certificate is ordered with it),
// turns OAuth protection on and registers the protected resource, through the same API calls as the
// three separate forms. A failed step rolls back what this form created; the page then follows the
// certificate (pending → ready), validates the resource and shows the client configuration.
import { api } from './api.js';
import { h, text } from './dom.js';
import { dataForm } from './form.js';

const enc = encodeURIComponent;
/** How long the page follows a certificate order before saying it is still pending. */
const CERTIFICATE_WAIT_MS = 180_000;
const POLL_MS = 1_000;

/** @type {import('./form.js').Field[]} */
const targetFields = [
  {
    name: 'hostname',
    label: 'Hostname',
    required: true,
    placeholder: 'mcp.example.com',
    hint: 'The public name of the MCP server (its DNS must point at this proxy).',
  },
  {
    name: 'target_url',
    label: 'Backend URL',
    type: 'url',
    required: true,
    placeholder: 'http://127.0.0.1:3000',
    hint: 'Where the MCP server listens.',
  },
];
/** @type {import('./form.js').Field[]} */
const resourceFields = [
  {
    name: 'endpoint',
    label: 'Endpoint path',
    placeholder: '/mcp',
    hint: 'The MCP endpoint on the backend (default /mcp).',
  },
  {
    name: 'scopes',
    label: 'Scopes',
    type: 'list',
    placeholder: 'mcp:read, mcp:write',
    hint: 'A token needs all of them (default mcp:read, mcp:write).',
  },
];
/** @type {import('./form.js').Field[]} */
const authFields = [
  {
    name: 'required_users',
    label: 'GitHub users who may sign in',
    type: 'list',
    placeholder: 'alice, bob',
    hint: 'Comma-separated; * or empty: anyone who can sign in.',
  },
  {
    name: 'required_emails',
    label: 'E-mail addresses who may sign in',
    type: 'list',
    placeholder: 'alice@example.com',
  },
];

/**
 * @typedef {{ label: string, state: 'waiting' | 'running' | 'done' | 'failed' | 'undone', detail?: string }} Step
 */

/** @param {Step[]} steps */
function stepList(steps) {
  return h(
    'ol',
    { class: 'steps', 'aria-label': 'Progress' },
    ...steps.map((s) =>
      h(
        'li',
        { class: `step-${s.state}`, 'data-step': s.label },
        h('span', { class: 'step-state' }, s.state),
        ` ${s.label}${s.detail ? `: ${s.detail}` : ''}`,
      ),
    ),
  );
}

/** A short name for the client configuration: the hostname's first label. @param {string} hostname */
export const serverName = (hostname) => hostname.split('.')[0] || 'mcp';

/**
 * The client configuration to copy: the URL, Claude Code's command, the mcp-remote JSON.
 * @param {string} url  the resource URI
 * @param {string} name
 */
export function clientConfiguration(url, name) {
  const command = `claude mcp add --transport http ${name} ${url}`;
  const remote = JSON.stringify({ mcpServers: { [name]: { command: 'npx', args: ['mcp-remote', url] } } }, null, 2);
  /** @param {string} label @param {string} value @param {string} id */
  const block = (label, value, id) =>
    h(
      'div',
      { class: 'copy-block' },
      h('h3', {}, label),
      h('pre', { class: 'secret', tabindex: '0', 'data-testid': id, 'aria-label': label }, value),
      h(
        'button',
        {
          type: 'button',
          onclick: async (/** @type {Event} */ e) => {
            const button = /** @type {HTMLButtonElement} */ (e.currentTarget);
            try {
              await navigator.clipboard.writeText(value);
              button.textContent = 'Copied';
            } catch {
              button.textContent = 'Select the text and copy it';
            }
          },
        },
        `Copy ${label.toLowerCase()}`,
      ),
    );
  return h(
    'section',
    { 'aria-labelledby': 'client-config-heading' },
    h('h2', { id: 'client-config-heading' }, 'Client configuration'),
    block('Server URL', url, 'client-url'),
    block('Claude Code', command, 'client-claude'),
    block('mcp-remote', remote, 'client-mcp-remote'),
  );
}

/**
 * Follows the target's lifecycle until its certificate is ready (or failed, or there is none).
 * @param {string} hostname
 * @param {(state: string, reason: string | null) => void} report
 */
async function followCertificate(hostname, report) {
  const deadline = Date.now() + CERTIFICATE_WAIT_MS;
  for (;;) {
    const target = await api('GET', `/api/v1/proxy/targets/${enc(hostname)}`);
    const { state, reason } = target.lifecycle;
    report(state, reason);
    if (state !== 'pending' || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export const mcpServerPage = {
  id: 'add-mcp-server',
  title: 'Add an MCP server',
  // The fields go to three operations (test/foundation/schema-drift.e2e-spec.ts checks each).
  forms: [
    { method: 'POST', path: '/api/v1/proxy/targets', fields: targetFields },
    {
      method: 'POST',
      path: (/** @type {any} */ row) => `/api/v1/proxy/targets/${enc(row.hostname)}/auth`,
      fields: authFields,
    },
    {
      method: 'POST',
      path: (/** @type {any} */ row) => `/api/v1/proxy/targets/${enc(row.hostname)}/resource`,
      fields: resourceFields,
    },
  ],
  /** @param {HTMLElement} container */
  async render(container) {
    const progress = h('div', { role: 'status', 'aria-live': 'polite', class: 'progress' });
    const result = h('div');
    container.append(
      h('h1', {}, 'Add an MCP server'),
      h(
        'p',
        {},
        'One step for a protected MCP server: the proxy target (with its certificate), OAuth protection (who may sign in) and the protected resource (the endpoint and its scopes). If a step fails, what this form created is removed again.',
      ),
      dataForm({
        label: 'MCP server',
        submit: 'Add MCP server',
        fields: [...targetFields, resourceFields[0], ...authFields, resourceFields[1]],
        onSubmit: async (body, form) => {
          result.replaceChildren();
          await addServer(body, progress, result);
          form.reset();
        },
      }),
      progress,
      result,
    );
  },
};

/**
 * @param {Record<string, any>} body  the form's values
 * @param {HTMLElement} progress
 * @param {HTMLElement} result
 */
async function addServer(body, progress, result) {
  const hostname = String(body.hostname ?? '')
    .trim()
    .toLowerCase();
  /** @type {Step[]} */
  const steps = [
    { label: 'Proxy target', state: 'waiting' },
    { label: 'OAuth protection', state: 'waiting' },
    { label: 'Protected resource', state: 'waiting' },
    { label: 'Certificate', state: 'waiting' },
    { label: 'Validation', state: 'waiting' },
  ];
  const show = () => progress.replaceChildren(stepList(steps));
  /** @param {number} i @param {Step['state']} state @param {string} [detail] */
  const mark = (i, state, detail) => {
    steps[i] = { ...steps[i], state, detail };
    show();
  };
  /** @type {(() => Promise<string>)[]} undo actions, newest last */
  const undo = [];
  /** Runs one API step; on failure undoes the earlier ones and rethrows with what happened. @param {number} i @param {() => Promise<any>} call */
  const step = async (i, call) => {
    mark(i, 'running');
    try {
      const answer = await call();
      mark(i, 'done');
      return answer;
    } catch (error) {
      mark(i, 'failed', error.message);
      const undone = [];
      for (const action of undo.reverse()) {
        try {
          undone.push(await action());
        } catch (undoError) {
          undone.push(`could not undo (${undoError.message}); remove it on its page`);
        }
      }
      for (let j = 0; j < i; j++) if (steps[j].state === 'done') mark(j, 'undone');
      error.message = `${steps[i].label} failed: ${error.message}${undone.length ? ` Rolled back: ${undone.join('; ')}.` : ''}`;
      throw error;
    }
  };
  show();
  const created = await step(0, () => api('POST', '/api/v1/proxy/targets', { hostname, target_url: body.target_url }));
  const name = created.proxy_target.hostname;
  undo.push(async () => {
    const deleted = await api('DELETE', `/api/v1/proxy/targets/${enc(name)}`);
    return `deleted proxy target ${name}${deleted.certificate_deleted ? ' and its certificate' : ''}`;
  });
  await step(1, () =>
    api('POST', `/api/v1/proxy/targets/${enc(name)}/auth`, {
      enabled: true,
      required_users: body.required_users,
      required_emails: body.required_emails,
    }),
  );
  const resource = await step(2, () =>
    api('POST', `/api/v1/proxy/targets/${enc(name)}/resource`, { endpoint: body.endpoint, scopes: body.scopes }),
  );
  // Created: from here on nothing is rolled back (a certificate can be retried from its page).
  mark(3, 'running', 'pending');
  const state = await followCertificate(name, (s, reason) => {
    if (s === 'pending') mark(3, 'running', 'pending');
    else mark(3, s === 'failed' ? 'failed' : 'done', s === 'ready' ? 'ready' : `${s}${reason ? `: ${reason}` : ''}`);
  });
  if (state === 'pending') mark(3, 'failed', 'still pending; see Certificates');
  mark(4, 'running');
  let validation;
  try {
    validation = await api('POST', `/api/v1/resources/${enc(resource.id)}/validate`);
    mark(4, validation.valid ? 'done' : 'failed', validation.valid ? 'valid' : text(validation.reason));
  } catch (error) {
    mark(4, 'failed', error.message);
  }
  result.replaceChildren(
    h('div', { class: 'notice' }, `Added MCP server ${name}.`),
    clientConfiguration(resource.uri, serverName(name)),
    ...(validation ? [validationSection(validation)] : []),
  );
}

/**
 * @param {{ valid: boolean, uri: string, reason: string | null, checks: { ok: boolean, check: string, detail: string }[] }} result
 *   the answer of POST /api/v1/resources/{id}/validate
 */
function validationSection(result) {
  return h(
    'section',
    { 'aria-labelledby': 'validation-heading' },
    h('h2', { id: 'validation-heading' }, 'Validation'),
    h(
      'p',
      { 'data-testid': 'validation-reason', class: result.valid ? 'status-ok' : 'status-bad' },
      result.valid ? `${result.uri} is valid.` : `${result.uri} is not valid: ${result.reason}`,
    ),
    h(
      'ul',
      { class: 'checks', 'aria-label': 'Checks' },
      ...result.checks.map((c) =>
        h('li', { class: c.ok ? 'status-ok' : 'status-bad' }, `${c.ok ? 'ok' : 'failed'}: ${c.check}: ${c.detail}`),
      ),
    ),
  );
}
