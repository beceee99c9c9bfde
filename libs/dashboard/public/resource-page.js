// A generic page for one API collection: a create form, a table, per-row actions and an edit form,
// all described by data. New resources are one resourcePage({...}) call (see pages.js).
import { api } from './api.js';
import { h, text } from './dom.js';
import { dataForm } from './form.js';

/**
 * @param {object} spec
 * @param {string} spec.id             route in the URL (#/<id>)
 * @param {string} spec.title          page heading and navigation label
 * @param {string} [spec.description]
 * @param {string} spec.noun           one item, for labels ("token")
 * @param {string} [spec.plural]      many items, in running text (default: the title in lower case)
 * @param {string} spec.listPath       GET path of the collection
 * @param {(body) => object[]} [spec.rows]  rows from the list answer (default: the answer), e.g. sorted
 * @param {string} [spec.createPath]   POST path (omit for read-only pages)
 * @param {object[]} [spec.fields]     create form fields (see form.js)
 * @param {(row) => string} spec.itemPath  path of one item (for DELETE and actions)
 * @param {(row) => string} spec.rowLabel  how an item is named in labels ("token alice")
 * @param {{label: string, key: string, format?: (value, row) => string | Node}[]} spec.columns
 * @param {(created) => Node | undefined} [spec.afterCreate]  e.g. show a secret shown only once
 * @param {(created) => string} [spec.createdName]  name of a created item in the notice
 * @param {{label: string, method: string, path: (row) => string, confirm?: (row) => string, danger?: boolean, when?: (row) => boolean, afterAction?: (result, row) => Node | undefined, failed?: (result) => boolean}[]} [spec.actions]
 *   per-row buttons (rotate, renew, revoke, start, stop...); afterAction shows something from the answer;
 *   failed(result) marks a successful request whose answer reports a failure (a validation)
 * @param {{title: string, method?: string, path: (row) => string, load?: (row) => string, values?: (loaded, row) => object, remove?: {label: string, path: (row) => string, confirm?: (row) => string}, fields: object[]}[]} [spec.edit]
 *   an Edit button per row opening these forms, each saving on its own; prefilled from the row, or
 *   from GET load(row) when given (e.g. a target's auth settings; a 404 there means "none yet"),
 *   through values(loaded, row) when the answer is not the form's shape; `remove` adds a button
 *   sending DELETE to its path (e.g. "Turn protection off")
 * @param {boolean | ((row) => boolean)} [spec.deletable]   adds a Delete action
 * @param {number} [spec.headingLevel]  level of the title heading (default 1; 2 for a section of a larger page)
 * @param {{label: string, method: string, path: string, afterAction?: (result) => Node | undefined}[]} [spec.pageActions]
 *   buttons for the whole collection (e.g. "Discover resources"), above the table
 */
export function resourcePage(spec) {
  return { id: spec.id, title: spec.title, render: (container) => renderResourcePage(spec, container) };
}

const pluralOf = (spec) => spec.plural ?? spec.title.toLowerCase();

async function renderResourcePage(spec, container) {
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const editHolder = h('div');
  const tableHolder = h('div');
  const level = spec.headingLevel ?? 1;
  container.append(h(`h${level}`, {}, spec.title), spec.description ? h('p', {}, spec.description) : null);
  if (spec.createPath && spec.fields) {
    container.append(
      dataForm({
        label: `Create ${spec.noun}`,
        submit: `Create ${spec.noun}`,
        fields: spec.fields,
        onSubmit: async (body, form) => {
          const created = await api('POST', spec.createPath, body);
          form.reset();
          const name = spec.createdName ? spec.createdName(created) : (created?.name ?? created?.id ?? '');
          status.replaceChildren(
            h(
              'div',
              { class: 'notice' },
              `Created ${spec.noun} ${text(name)}.`,
              spec.afterCreate ? spec.afterCreate(created) : null,
            ),
          );
          await reload();
        },
      }),
    );
  }
  const pageButtons = (spec.pageActions ?? []).map((action) =>
    h(
      'button',
      {
        type: 'button',
        onclick: async () => {
          try {
            const result = await api(action.method, action.path);
            status.replaceChildren(
              h(
                'div',
                { class: 'notice' },
                `${action.label}: done.`,
                action.afterAction ? action.afterAction(result) : null,
              ),
            );
            await reload();
          } catch (error) {
            status.replaceChildren(h('div', { class: 'error', role: 'alert' }, `${action.label}: ${error.message}`));
          }
        },
      },
      action.label,
    ),
  );
  if (pageButtons.length) container.append(h('div', { class: 'buttons' }, ...pageButtons));
  container.append(status, editHolder, h(`h${level + 1}`, {}, `All ${pluralOf(spec)}`), tableHolder);

  async function reload() {
    tableHolder.replaceChildren(h('p', { class: 'empty' }, 'Loading...'));
    try {
      const body = await api('GET', spec.listPath);
      const rows = spec.rows ? spec.rows(body) : (body ?? []);
      tableHolder.replaceChildren(renderTable(spec, rows, { status, reload, openEditor }));
    } catch (error) {
      tableHolder.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  async function loadValues(section, row) {
    if (!section.load) return row;
    let loaded;
    try {
      loaded = (await api('GET', section.load(row))) ?? {};
    } catch (error) {
      if (error.status !== 404) throw error;
      loaded = {};
    }
    return section.values ? section.values(loaded, row) : loaded;
  }

  async function openEditor(row) {
    const close = () => editHolder.replaceChildren();
    let values;
    try {
      values = await Promise.all(spec.edit.map((section) => loadValues(section, row)));
    } catch (error) {
      status.replaceChildren(
        h('div', { class: 'error', role: 'alert' }, `Edit ${spec.rowLabel(row)}: ${error.message}`),
      );
      return;
    }
    const forms = spec.edit.map((section, i) =>
      dataForm({
        label: section.title,
        submit: 'Save',
        fields: section.fields,
        values: values[i],
        editing: true,
        headingLevel: 'h3',
        extraButtons: [
          section.remove ? removeButton(section, row) : null,
          h('button', { type: 'button', onclick: close }, 'Cancel'),
        ].filter(Boolean),
        onSubmit: async (body) => {
          await api(section.method ?? 'PUT', section.path(row), body);
          close();
          status.replaceChildren(
            h('div', { class: 'notice' }, `Saved ${spec.rowLabel(row)}: ${section.title.toLowerCase()}.`),
          );
          await reload();
        },
      }),
    );
    function removeButton(section, row) {
      return h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: async (event) => {
            if (section.remove.confirm && !window.confirm(section.remove.confirm(row))) return;
            const errorBox = event.target.closest('form').querySelector('[role=alert]');
            try {
              await api('DELETE', section.remove.path(row));
            } catch (error) {
              errorBox.textContent = error.message;
              errorBox.hidden = false;
              return;
            }
            close();
            status.replaceChildren(
              h('div', { class: 'notice' }, `${section.remove.label}: ${spec.rowLabel(row)} done.`),
            );
            await reload();
          },
        },
        section.remove.label,
      );
    }
    const region = h(
      'section',
      { class: 'editor', 'aria-label': `Edit ${spec.rowLabel(row)}` },
      h('h2', { tabindex: '-1' }, `Edit ${spec.rowLabel(row)}`),
      ...forms,
    );
    editHolder.replaceChildren(region);
    region.querySelector('h2').focus();
  }

  await reload();
}

function renderTable(spec, rows, ctx) {
  if (rows.length === 0) return h('p', { class: 'empty' }, `No ${pluralOf(spec)} yet.`);
  const actions = [...(spec.actions ?? [])];
  if (spec.edit) actions.unshift({ label: 'Edit', edit: true });
  if (spec.deletable) {
    actions.push({
      label: 'Delete',
      method: 'DELETE',
      path: spec.itemPath,
      danger: true,
      when: typeof spec.deletable === 'function' ? spec.deletable : undefined,
      confirm: (row) => `Delete ${spec.rowLabel(row)}?`,
    });
  }
  const button = (action, row) =>
    h(
      'button',
      {
        type: 'button',
        class: action.danger ? 'danger' : undefined,
        'aria-label': `${action.label} ${spec.rowLabel(row)}`,
        onclick: async () => {
          if (action.edit) return ctx.openEditor(row);
          if (action.confirm && !window.confirm(action.confirm(row))) return;
          try {
            const result = await api(action.method, action.path(row));
            const failed = action.failed?.(result) === true;
            ctx.status.replaceChildren(
              h(
                'div',
                { class: failed ? 'error' : 'notice' },
                `${action.label}: ${spec.rowLabel(row)} ${failed ? 'failed' : 'done'}.`,
                action.afterAction ? action.afterAction(result, row) : null,
              ),
            );
            await ctx.reload();
          } catch (error) {
            ctx.status.replaceChildren(
              h('div', { class: 'error', role: 'alert' }, `${action.label} ${spec.rowLabel(row)}: ${error.message}`),
            );
          }
        },
      },
      action.label,
    );
  return h(
    'table',
    {},
    h('caption', {}, `${rows.length} ${pluralOf(spec)}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...spec.columns.map((c) => h('th', { scope: 'col' }, c.label)),
        actions.length ? h('th', { scope: 'col' }, 'Actions') : null,
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map((row) =>
        h(
          'tr',
          {},
          ...spec.columns.map((c, i) =>
            h(
              i === 0 ? 'th' : 'td',
              i === 0 ? { scope: 'row' } : {},
              c.format ? c.format(row[c.key], row) : text(row[c.key]),
            ),
          ),
          actions.length
            ? h('td', { class: 'actions' }, ...actions.filter((a) => !a.when || a.when(row)).map((a) => button(a, row)))
            : null,
        ),
      ),
    ),
  );
}
