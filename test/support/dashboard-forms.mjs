// Prints the dashboard's forms as JSON: per page of libs/dashboard/public/pages.js, the API operation
// each form submits to and its fields. test/foundation/schema-drift.e2e-spec.ts runs it in a child
// Node (the dashboard is browser ES modules; importing them runs no browser code, only page descriptions).
import { PAGES } from '../../libs/dashboard/public/pages.js';

// A row-level form's path is a function of the row: give it a row whose every field reads "{field}".
const placeholderRow = new Proxy({}, { get: (_, key) => `{${String(key)}}` });

const forms = PAGES.flatMap((page) =>
  (page.forms ?? []).map((form) => ({
    page: page.id,
    method: form.method,
    path: decodeURIComponent(typeof form.path === 'function' ? form.path(placeholderRow) : form.path),
    fields: form.fields.map((field) => ({
      name: field.name,
      type: field.type ?? 'text',
      required: field.required === true,
      options: field.options,
    })),
  })),
);
process.stdout.write(JSON.stringify(forms));
