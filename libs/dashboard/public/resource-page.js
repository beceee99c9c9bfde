// A generic page for one API collection: a create form, a table, per-row actions and an edit form,
// all described by data. New resources are one resourcePage({...}) call (see pages.js).
import { api } from './api.js';
import { h, text } from './dom.js';
import { confirmedRemoveButton, dataForm } from './form.js';

/**
 * @typedef {import('./form.js').Field} Field
 * @typedef {Record<string, any>} Row  an item of an API answer (its shape: the API's, see /openapi.json)
 *
 * @typedef {object} RowAction  a per-row button (rotate, renew, revoke, start, stop...)
 * @property {string} label
 * @property {string} method
 * @property {(row: Row) => string} path
 * @property {(row: Row) => string} [confirm]
 * @property {boolean} [danger]
 * @property {(row: Row) => boolean} [when]
 * @property {(result: any, row: Row) => Node | undefined} [afterAction]  shows something from the answer
 * @property {(result: any) => boolean} [failed]  marks a successful request whose answer reports a failure (a validation)
 *
 * @typedef {object} EditSection  one form of the editor, saving on its own
 * @property {string} title
 * @property {string} [method]  default PUT
 * @property {(row: Row) => string} path
 * @property {(row: Row) => string} [load]  prefill from GET load(row) instead of the row (a 404 means "none yet")
 * @property {(loaded: any, row: Row) => Row} [values]  when the loaded answer is not the form's shape
 * @property {{ label: string, path: (row: Row) => string, confirm?: (row: Row) => string }} [remove]
 *   a button sending DELETE to its path (e.g. "Turn protection off")
 * @property {Field[]} fields
 *
 * @typedef {object} CustomSection  a part of the editor that draws itself (e.g. a resource's MCP policy), below the forms
 * @property {ApiForm[]} forms  the operations its forms submit to (the schema drift test reads these)
 * @property {(row: Row, saved: (what: string) => Promise<void>) => Promise<Node>} render
 *   `saved` closes the editor, says what was saved and reloads the table
 *
 * @typedef {object} PageAction  a button for the whole collection (e.g. "Discover resources"), above the table
 * @property {string} label
 * @property {string} method
 * @property {string} path
 * @property {(result: any) => Node | undefined} [afterAction]
 *
 * @typedef {object} Column
 * @property {string} label
 * @property {string} key
 * @property {(value: any, row: Row) => string | Node} [format]
 *
 * @typedef {object} ApiForm  a form of a page and the API operation its fields go to (the schema drift test reads these)
 * @property {string} method
 * @property {string | ((row: Row) => string)} path
 * @property {Field[]} fields
 *
 * @typedef {object} ResourceSpec
 * @property {string} id             route in the URL (#/<id>)
 * @property {string} title          page heading and navigation label
 * @property {string} [description]
 * @property {string} noun           one item, for labels ("token")
 * @property {string} [plural]       many items, in running text (default: the title in lower case)
 * @property {string} listPath       GET path of the collection
 * @property {(body: any) => Row[]} [rows]  rows from the list answer (default: the answer), e.g. sorted
 * @property {string} [createPath]   POST path (omit for read-only pages)
 * @property {Field[]} [fields]      create form fields (see form.js)
 * @property {(row: Row) => string} [itemPath]  path of one item (for DELETE)
 * @property {(row: Row) => string} rowLabel  how an item is named in labels ("token alice")
 * @property {Column[]} columns
 * @property {(created: any) => Node | undefined} [afterCreate]  e.g. show a secret shown only once
 * @property {(created: any) => string} [createdName]  name of a created item in the notice
 * @property {RowAction[]} [actions]
 * @property {EditSection[]} [edit]  an Edit button per row opening these forms, prefilled from the row
 * @property {CustomSection[]} [sections]  more parts of the editor (needs edit)
 * @property {boolean | ((row: Row) => boolean)} [deletable]  adds a Delete action (needs itemPath)
 * @property {number} [headingLevel]  level of the title heading (default 1; 2 for a section of a larger page)
 * @property {PageAction[]} [pageActions]
 *
 * @typedef {{ id: string, title: string, forms?: ApiForm[], render: (container: HTMLElement) => Promise<void> }} Page
 */

/**
 * @param {ResourceSpec} spec
 * @returns {Page}
 */
export function resourcePage(spec) {
  return {
    id: spec.id,
    title: spec.title,
    forms: apiForms(spec),
    render: (container) => renderResourcePage(spec, container),
  };
}

/** @param {EditSection} section */
const editMethod = (section) => section.method ?? 'PUT';

/**
 * The create form and the edit forms, with the operation each submits to.
 * @param {ResourceSpec} spec
 * @returns {ApiForm[]}
 */
function apiForms(spec) {
  const create = spec.createPath && spec.fields ? [{ method: 'POST', path: spec.createPath, fields: spec.fields }] : [];
  const edit = (spec.edit ?? []).map((section) => ({
    method: editMethod(section),
    path: section.path,
    fields: section.fields,
  }));
  return [...create, ...edit, ...(spec.sections ?? []).flatMap((section) => section.forms)];
}

/** @param {ResourceSpec} spec */
const pluralOf = (spec) => spec.plural ?? spec.title.toLowerCase();

/**
 * @param {ResourceSpec} spec
 * @param {HTMLElement} container
 */
async function renderResourcePage(spec, container) {
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const editHolder = h('div');
  const tableHolder = h('div');
  const level = spec.headingLevel ?? 1;
  container.append(h(`h${level}`, {}, spec.title), ...(spec.description ? [h('p', {}, spec.description)] : []));
  const { createPath, fields } = spec;
  if (createPath && fields) {
    container.append(
      dataForm({
        label: `Create ${spec.noun}`,
        submit: `Create ${spec.noun}`,
        fields,
        onSubmit: async (body, form) => {
          const created = await api('POST', createPath, body);
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

  /**
   * @param {EditSection} section
   * @param {Row} row
   * @returns {Promise<Row>}
   */
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

  /** @param {Row} row */
  async function openEditor(row) {
    const sections = spec.edit ?? []; // only rows of pages with edit forms have an Edit button
    const close = () => editHolder.replaceChildren();
    /** @type {Row[]} */
    let values;
    try {
      values = await Promise.all(sections.map((section) => loadValues(section, row)));
    } catch (error) {
      status.replaceChildren(
        h('div', { class: 'error', role: 'alert' }, `Edit ${spec.rowLabel(row)}: ${error.message}`),
      );
      return;
    }
    const forms = sections.map((section, i) =>
      dataForm({
        label: section.title,
        submit: 'Save',
        fields: section.fields,
        values: values[i],
        editing: true,
        headingLevel: 'h3',
        extraButtons: [
          section.remove ? removeButton(section.remove, row) : null,
          h('button', { type: 'button', onclick: close }, 'Cancel'),
        ].filter((button) => button !== null),
        onSubmit: async (body) => {
          await api(editMethod(section), section.path(row), body);
          close();
          status.replaceChildren(
            h('div', { class: 'notice' }, `Saved ${spec.rowLabel(row)}: ${section.title.toLowerCase()}.`),
          );
          await reload();
        },
      }),
    );
    /**
     * @param {NonNullable<EditSection['remove']>} remove
     * @param {Row} row
     */
    function removeButton(remove, row) {
      return confirmedRemoveButton(
        remove.label,
        remove.confirm?.(row),
        () => api('DELETE', remove.path(row)),
        async () => {
          close();
          status.replaceChildren(h('div', { class: 'notice' }, `${remove.label}: ${spec.rowLabel(row)} done.`));
          await reload();
        },
      );
    }
    /** @param {string} what */
    const saved = async (what) => {
      close();
      status.replaceChildren(h('div', { class: 'notice' }, `Saved ${spec.rowLabel(row)}: ${what}.`));
      await reload();
    };
    const custom = await Promise.all((spec.sections ?? []).map((section) => section.render(row, saved)));
    const region = h(
      'section',
      { class: 'editor', 'aria-label': `Edit ${spec.rowLabel(row)}` },
      h('h2', { tabindex: '-1' }, `Edit ${spec.rowLabel(row)}`),
      ...forms,
      ...custom,
    );
    editHolder.replaceChildren(region);
    /** @type {HTMLElement} */ (region.querySelector('h2')).focus();
  }

  await reload();
}

/**
 * @typedef {RowAction & { edit?: boolean }} TableAction  `edit`: the Edit button (opens the editor; no request of its own)
 * @param {ResourceSpec} spec
 * @param {Row[]} rows
 * @param {{ status: HTMLElement, reload: () => Promise<void>, openEditor: (row: Row) => Promise<void> }} ctx
 */
function renderTable(spec, rows, ctx) {
  if (rows.length === 0) return h('p', { class: 'empty' }, `No ${pluralOf(spec)} yet.`);
  /** @type {TableAction[]} */
  const actions = [...(spec.actions ?? [])];
  if (spec.edit) actions.unshift(/** @type {TableAction} */ ({ label: 'Edit', edit: true }));
  if (spec.deletable) {
    actions.push({
      label: 'Delete',
      method: 'DELETE',
      path: /** @type {(row: Row) => string} */ (spec.itemPath), // deletable pages name their items' path
      danger: true,
      when: typeof spec.deletable === 'function' ? spec.deletable : undefined,
      confirm: (row) => `Delete ${spec.rowLabel(row)}?`,
    });
  }
  /**
   * @param {TableAction} action
   * @param {Row} row
   */
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
