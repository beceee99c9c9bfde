// Forms described by data: labelled inputs of a few types, read back into the JSON the API takes,
// with the API's own validation message shown in an alert and the field it names marked invalid.
import { ApiError } from './api.js';
import { h, uid } from './dom.js';

/**
 * A field. Types: text (default), email, url, number, checkbox, select (options), combo (text with
 * the options suggested; the API judges the value), list (comma-separated → array), json (an object
 * as JSON text), textarea. `advanced` fields go under "More settings". `name` is the property of the
 * API's body or query (test/foundation/schema-drift.e2e-spec.ts checks it against the OpenAPI document).
 * @typedef {FieldBase & ({ type?: 'text' | 'email' | 'url' | 'number' | 'checkbox' | 'list' | 'json' | 'textarea' } | { type: 'select' | 'combo', options: string[] })} Field
 * @typedef {object} FieldBase
 * @property {string} name
 * @property {string} label
 * @property {boolean} [required]
 * @property {string} [hint]
 * @property {string} [placeholder]
 * @property {string | number | boolean} [default]
 * @property {boolean} [advanced]
 * @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} FieldInput
 */

/**
 * @param {Field} field
 * @param {string} id
 * @param {string | undefined} hintId
 * @param {unknown} value  the initial value (editing), or undefined
 * @returns {HTMLElement | HTMLElement[]}  the input, or the input and its datalist
 */
function fieldInput(field, id, hintId, value) {
  const common = { id, name: field.name, 'aria-describedby': hintId };
  switch (field.type) {
    case 'combo': {
      const input = h('input', {
        ...common,
        type: 'text',
        list: `${id}-options`,
        placeholder: field.placeholder,
        autocomplete: 'off',
        value: formatInitial(field, value),
      });
      return [input, h('datalist', { id: `${id}-options` }, ...field.options.map((o) => h('option', { value: o })))];
    }
    case 'checkbox':
      return h('input', { ...common, type: 'checkbox', checked: Boolean(value ?? field.default) });
    case 'select':
      return h(
        'select',
        common,
        ...field.options.map((o) =>
          h('option', { value: o, selected: String(value ?? field.default ?? field.options[0]) === o }, o),
        ),
      );
    case 'json':
    case 'textarea':
      return h(
        'textarea',
        { ...common, rows: 2, placeholder: field.placeholder, spellcheck: 'false' },
        formatInitial(field, value),
      );
    case 'text':
    case 'email':
    case 'url':
    case 'number':
    case 'list':
    case undefined:
      return h('input', {
        ...common,
        type: field.type === 'list' ? 'text' : (field.type ?? 'text'),
        required: field.required,
        placeholder: field.placeholder,
        autocomplete: 'off',
        value: formatInitial(field, value),
      });
  }
}

/**
 * @param {Field} field
 * @param {unknown} value
 * @returns {string}
 */
function formatInitial(field, value) {
  if (value === undefined || value === null)
    return field.default !== undefined && field.type !== 'checkbox' ? String(field.default) : '';
  if (field.type === 'list') return Array.isArray(value) ? value.join(', ') : String(value);
  if (field.type === 'json')
    return typeof value === 'object' && Object.keys(value).length === 0 ? '' : JSON.stringify(value);
  return String(value);
}

/** A client-side problem with a field (bad JSON): shown like an API message. */
class FieldError extends Error {}

/**
 * The JSON value of one input, or undefined to leave the field out. `editing` sends empty lists/objects to clear them.
 * @param {Field} field
 * @param {FieldInput} input
 * @param {boolean | undefined} editing
 * @returns {unknown}
 */
function readInput(field, input, editing) {
  if (field.type === 'checkbox') return /** @type {HTMLInputElement} */ (input).checked;
  const raw = input.value.trim();
  switch (field.type) {
    case 'number':
      return raw === '' ? undefined : Number(raw);
    case 'list': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return items.length === 0 && !editing ? undefined : items;
    }
    case 'json':
      if (raw === '') return editing ? {} : undefined;
      try {
        return JSON.parse(raw);
      } catch {
        throw new FieldError(`${field.name} must be JSON, e.g. {"X-Header": "value"}`);
      }
    case 'text':
    case 'email':
    case 'url':
    case 'textarea':
    case 'select':
    case 'combo':
    case undefined:
      return raw === '' ? undefined : raw;
  }
}

/**
 * @param {object} spec
 * @param {string} spec.label           form name ("Create proxy target")
 * @param {string} spec.submit          button text
 * @param {Field[]} spec.fields
 * @param {Record<string, any>} [spec.values]  initial values (editing)
 * @param {boolean} [spec.openAdvanced]  show "More settings" opened (an initial value is there)
 * @param {boolean} [spec.editing]
 * @param {(body: Record<string, any>, form: HTMLFormElement) => Promise<void>} spec.onSubmit  throws ApiError to show the API's message
 * @param {Node[]} [spec.extraButtons]
 * @param {string} [spec.headingLevel]  'h2' (default) or 'h3'
 * @param {boolean} [spec.wide]         fields side by side (filter forms)
 * @returns {HTMLFormElement}
 */
export function dataForm(spec) {
  const errorBox = h('div', { role: 'alert', class: 'error', id: uid('form-error'), hidden: true });
  /** @type {Map<string, { field: Field, input: FieldInput }>} */
  const inputs = new Map();
  const rendered = spec.fields.map((field) => {
    const id = uid(`field-${field.name}`);
    const hintId = field.hint ? `${id}-hint` : undefined;
    const control = fieldInput(field, id, hintId, spec.values?.[field.name]);
    const input = /** @type {FieldInput} */ (Array.isArray(control) ? control[0] : control);
    inputs.set(field.name, { field, input });
    const label = h(
      'label',
      { for: id },
      field.label,
      field.required || field.type === 'checkbox' || field.type === 'select' ? '' : ' (optional)',
    );
    const hint = field.hint ? h('span', { id: hintId, class: 'hint' }, field.hint) : null;
    const box =
      field.type === 'checkbox'
        ? h('div', { class: 'field check' }, input, label, hint)
        : h('div', { class: 'field' }, label, control, hint);
    return { field, box };
  });
  const basic = rendered.filter((r) => !r.field.advanced).map((r) => r.box);
  const advanced = rendered.filter((r) => r.field.advanced).map((r) => r.box);
  const form = h(
    'form',
    { class: spec.wide ? 'card stack wide' : 'card stack', novalidate: true, 'aria-label': spec.label },
    h(spec.headingLevel ?? 'h2', {}, spec.label),
    ...basic,
    advanced.length
      ? h(
          'details',
          { open: spec.openAdvanced },
          h('summary', {}, 'More settings'),
          h('div', { class: spec.wide ? 'stack wide' : 'stack' }, ...advanced),
        )
      : null,
    errorBox,
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, spec.submit),
      ...(spec.extraButtons ?? []),
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    for (const { input } of inputs.values()) input.removeAttribute('aria-invalid');
    try {
      /** @type {Record<string, unknown>} */
      const body = {};
      for (const [name, { field, input }] of inputs) {
        const value = readInput(field, input, spec.editing);
        if (value !== undefined) body[name] = value;
      }
      await spec.onSubmit(body, form);
    } catch (error) {
      if (!(error instanceof ApiError || error instanceof FieldError)) throw error;
      // The API's own message says what to fix; point at the field it names.
      errorBox.textContent = error.message;
      errorBox.hidden = false;
      const name = [...inputs.keys()].find(
        (n) => error.message.startsWith(`${n} `) || error.message.startsWith(`${n}.`),
      );
      if (name) {
        const { input } = /** @type {{ input: FieldInput }} */ (inputs.get(name)); // one of its keys
        input.closest('details')?.setAttribute('open', '');
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-errormessage', errorBox.id);
        input.focus();
      }
    }
  });
  return form;
}

/**
 * A form's "Remove ..." button: asks `question` (when given), runs `remove`, then `done`; a failure
 * is shown in the form's alert (the button sits in `extraButtons` of a dataForm).
 * @param {string} label
 * @param {string | undefined} question
 * @param {() => Promise<unknown>} remove
 * @param {() => Promise<void>} done
 */
export function confirmedRemoveButton(label, question, remove, done) {
  return h(
    'button',
    {
      type: 'button',
      class: 'danger',
      /** @param {Event} event */
      onclick: async (event) => {
        if (question !== undefined && !window.confirm(question)) return;
        try {
          await remove();
        } catch (error) {
          const form = /** @type {HTMLFormElement} */ (/** @type {HTMLElement} */ (event.target).closest('form'));
          const alertBox = /** @type {HTMLElement} */ (form.querySelector('[role=alert]'));
          alertBox.textContent = /** @type {Error} */ (error).message;
          alertBox.hidden = false;
          return;
        }
        await done();
      },
    },
    label,
  );
}

/**
 * Runs an API write whose 400 lists several problems (the API joins them with "; "): they come back
 * one a line, for a form whose alert keeps line breaks (`white-space: pre-line`).
 * @param {() => Promise<unknown>} write
 */
export async function writeWithProblemsOneALine(write) {
  try {
    await write();
  } catch (error) {
    if (error instanceof ApiError && error.status === 400)
      throw new ApiError(400, { message: error.message.split('; ').join('\n') });
    throw error;
  }
}
