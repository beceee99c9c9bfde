// A generic page for one API collection: a create form, a table, and per-row actions, all described
// by data. New resources (proxy targets, routes, certificates, ...) are one resourcePage({...}) call.
import { api, ApiError } from './api.js';
import { h, text, uid } from './dom.js';

/**
 * @param {object} spec
 * @param {string} spec.id             route in the URL (#/<id>)
 * @param {string} spec.title          page heading and navigation label
 * @param {string} [spec.description]
 * @param {string} spec.noun           one item, for labels ("token")
 * @param {string} [spec.plural]      many items, in running text (default: the title in lower case)
 * @param {string} spec.listPath       GET path of the collection
 * @param {string} [spec.createPath]   POST path (omit for read-only pages)
 * @param {(row) => string} spec.itemPath  path of one item (for DELETE and actions)
 * @param {(row) => string} spec.rowLabel  how an item is named in labels ("token alice")
 * @param {{label: string, key: string, format?: (value, row) => string}[]} spec.columns
 * @param {{name: string, label: string, type?: string, required?: boolean, hint?: string, placeholder?: string, options?: string[]}[]} [spec.fields]
 * @param {(created) => Node | undefined} [spec.afterCreate]  e.g. show a secret shown only once
 * @param {{label: string, method: string, path: (row) => string, confirm?: (row) => string, danger?: boolean, afterAction?: (result, row) => Node | undefined}[]} [spec.actions]
 *   per-row buttons (rotate, renew, revoke, start, stop...); afterAction shows something from the answer
 * @param {boolean} [spec.deletable]   adds a Delete action
 */
export function resourcePage(spec) {
  return { id: spec.id, title: spec.title, render: (container) => renderResourcePage(spec, container) };
}

async function renderResourcePage(spec, container) {
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const tableHolder = h('div');
  container.append(h('h1', {}, spec.title), spec.description ? h('p', {}, spec.description) : null);
  if (spec.createPath && spec.fields) container.append(createForm(spec, status, reload));
  container.append(status, h('h2', {}, `All ${spec.plural ?? spec.title.toLowerCase()}`), tableHolder);

  async function reload() {
    tableHolder.replaceChildren(h('p', { class: 'empty' }, 'Loading...'));
    try {
      const rows = await api('GET', spec.listPath);
      tableHolder.replaceChildren(renderTable(spec, rows ?? [], status, reload));
    } catch (error) {
      tableHolder.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }
  await reload();
}

function createForm(spec, status, reload) {
  const errorBox = h('div', { role: 'alert', class: 'error', hidden: true });
  const inputs = new Map();
  const fields = spec.fields.map((field) => {
    const id = uid(`${spec.id}-${field.name}`);
    const hintId = field.hint ? `${id}-hint` : undefined;
    const input =
      field.type === 'select'
        ? h('select', { id, name: field.name }, ...field.options.map((o) => h('option', { value: o }, o)))
        : h('input', { id, name: field.name, type: field.type ?? 'text', required: field.required, placeholder: field.placeholder, 'aria-describedby': hintId, autocomplete: 'off' });
    inputs.set(field.name, input);
    return h('div', { class: 'field' }, h('label', { for: id }, field.label, field.required ? '' : ' (optional)'), input, field.hint ? h('span', { id: hintId, class: 'hint' }, field.hint) : null);
  });
  const form = h(
    'form',
    { class: 'card stack', novalidate: true, 'aria-label': `Create ${spec.noun}` },
    h('h2', {}, `Create ${spec.noun}`),
    ...fields,
    errorBox,
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, `Create ${spec.noun}`)),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    for (const input of inputs.values()) input.removeAttribute('aria-invalid');
    const body = {};
    for (const [name, input] of inputs) if (input.value.trim() !== '') body[name] = input.value.trim();
    try {
      const created = await api('POST', spec.createPath, body);
      form.reset();
      status.replaceChildren(h('div', { class: 'notice' }, `Created ${spec.noun} ${text(created?.name ?? created?.id ?? '')}.`, spec.afterCreate ? spec.afterCreate(created) : null));
      await reload();
    } catch (error) {
      // The API's own message says what to fix; point at the field it names.
      errorBox.textContent = error.message;
      errorBox.hidden = false;
      const field = error instanceof ApiError ? [...inputs.keys()].find((name) => error.message.startsWith(`${name} `)) : undefined;
      if (field) {
        inputs.get(field).setAttribute('aria-invalid', 'true');
        inputs.get(field).setAttribute('aria-errormessage', errorBox.id || (errorBox.id = uid('error')));
        inputs.get(field).focus();
      }
    }
  });
  return form;
}

function renderTable(spec, rows, status, reload) {
  if (rows.length === 0) return h('p', { class: 'empty' }, `No ${spec.plural ?? spec.title.toLowerCase()} yet.`);
  const actions = [...(spec.actions ?? [])];
  if (spec.deletable) actions.push({ label: 'Delete', method: 'DELETE', path: spec.itemPath, danger: true, confirm: (row) => `Delete ${spec.rowLabel(row)}?` });
  return h(
    'table',
    {},
    h('caption', {}, `${rows.length} ${spec.plural ?? spec.title.toLowerCase()}`),
    h('thead', {}, h('tr', {}, ...spec.columns.map((c) => h('th', { scope: 'col' }, c.label)), actions.length ? h('th', { scope: 'col' }, 'Actions') : null)),
    h(
      'tbody',
      {},
      ...rows.map((row) =>
        h(
          'tr',
          {},
          ...spec.columns.map((c, i) => h(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {}, c.format ? c.format(row[c.key], row) : text(row[c.key]))),
          actions.length
            ? h(
                'td',
                {},
                ...actions.map((action) =>
                  h(
                    'button',
                    {
                      type: 'button',
                      class: action.danger ? 'danger' : undefined,
                      'aria-label': `${action.label} ${spec.rowLabel(row)}`,
                      onclick: async () => {
                        if (action.confirm && !window.confirm(action.confirm(row))) return;
                        try {
                          const result = await api(action.method, action.path(row));
                          status.replaceChildren(h('div', { class: 'notice' }, `${action.label}: ${spec.rowLabel(row)} done.`, action.afterAction ? action.afterAction(result, row) : null));
                          await reload();
                        } catch (error) {
                          status.replaceChildren(h('div', { class: 'error', role: 'alert' }, error.message));
                        }
                      },
                    },
                    action.label,
                  ),
                ),
              )
            : null,
        ),
      ),
    ),
  );
}
