import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { UsageError } from '../../apps/cli/src/argv';
import { planCommand } from '../../apps/cli/src/cli';
import type { OptionType, VerbSpec } from '../../apps/cli/src/command-spec';
import { COMMANDS } from '../../apps/cli/src/commands';
import { ServerProcess } from '../support/server-process';

/**
 * One source for the API schema: the DTOs (class-validator + @nestjs/swagger), served by the server
 * as its OpenAPI document. Three clients name those fields by hand: the CLI's command table
 * (apps/cli/src/commands.ts), the dashboard's forms (libs/dashboard/public/pages.js) and the just
 * recipes (which call the CLI). This suite fails when one of them names a field the operation does
 * not take, with the wrong type, or cannot send a field the operation requires.
 */

const ROOT = join(__dirname, '..', '..');
const JUST = join(ROOT, 'node_modules', '.bin', 'just');

interface Schema {
  type?: string;
  enum?: unknown[];
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
}
interface Operation {
  parameters?: { name: string; in: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** What one operation takes, by name: body properties (and which are required) and query parameters. */
interface Inputs {
  route: string;
  body: Record<string, Schema>;
  /** The body's own type: `array` for operations taking a bare list (a target's rate limits). */
  bodyKind?: string;
  required: string[];
  query: Record<string, Schema>;
}

/** Path parameters are positional: `{name}` and `{cert_name}` are the same placeholder. */
const pathShape = (path: string) => path.replace(/\{[^}]+\}/g, '{}');

class ApiSchema {
  private readonly operations = new Map<string, Inputs>();

  constructor(private readonly doc: OpenApi) {
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const body = this.resolve(op.requestBody?.content['application/json']?.schema);
        const query = (op.parameters ?? []).filter((p) => p.in === 'query');
        this.operations.set(`${method.toUpperCase()} ${pathShape(path)}`, {
          route: `${method.toUpperCase()} ${path}`,
          body: body?.properties ?? {},
          bodyKind: body && this.kind(body),
          required: body?.required ?? [],
          query: Object.fromEntries(query.map((p) => [p.name, p.schema ?? {}])),
        });
      }
  }

  inputs(method: string, path: string): Inputs | undefined {
    return this.operations.get(`${method.toUpperCase()} ${pathShape(path.split('?')[0])}`);
  }

  /** The JSON type a property takes; query booleans are documented as the strings "true" and "false". */
  kind(schema: Schema): string {
    const resolved = this.resolve(schema) ?? {};
    if (resolved.enum?.length && resolved.enum.every((v) => v === 'true' || v === 'false')) return 'boolean';
    return resolved.type ?? (resolved.properties ? 'object' : 'unknown');
  }

  enumOf(schema: Schema): unknown[] | undefined {
    return this.resolve(schema)?.enum;
  }

  private resolve(schema: Schema | undefined): Schema | undefined {
    if (schema?.$ref)
      return this.resolve(this.doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
    if (schema?.allOf?.length === 1) return this.resolve(schema.allOf[0]);
    return schema;
  }
}

/** The schema types a CLI option type can send. */
const OPTION_KINDS: Record<OptionType, string[]> = {
  string: ['string'],
  boolean: ['boolean'],
  integer: ['integer', 'number'],
  number: ['number', 'integer'],
  list: ['array'],
  json: ['object', 'array'],
};

/** The schema types a dashboard field type can send (form.js, readInput). */
const FIELD_KINDS: Record<string, string[]> = {
  checkbox: ['boolean'],
  number: ['number', 'integer'],
  list: ['array'],
  json: ['object', 'array'],
};
const fieldKinds = (type: string) => FIELD_KINDS[type] ?? ['string'];

/**
 * Whether a value of one of `sent` kinds fits `schema`. Query parameters travel as text, so a query
 * parameter documented as a plain string takes any scalar.
 */
function fits(api: ApiSchema, schema: Schema, sent: string[], where: 'body' | 'query'): boolean {
  const kind = api.kind(schema);
  if (sent.includes(kind)) return true;
  return where === 'query' && kind === 'string' && !sent.includes('array') && !sent.includes('object');
}

/** Verbs that run several requests (a handler) and the operation whose body their options fill. */
const HANDLER_OPERATIONS: Record<string, { method: string; path: string } | 'not-an-api-body'> = {
  'proxy auth-config': { method: 'POST', path: '/api/v1/proxy/targets/{hostname}/auth' },
  // Starts local MCP echo servers, then calls several operations with values of its own.
  'mcp echo-setup': 'not-an-api-body',
  'mcp echo-stop': 'not-an-api-body',
};

function operationOf(resource: string, verb: VerbSpec): { method: string; path: string } | undefined {
  if (!verb.handler) return { method: verb.method, path: verb.path };
  const known = HANDLER_OPERATIONS[`${resource} ${verb.verb}`];
  if (known === undefined) throw new Error(`${resource} ${verb.verb}: a handler verb missing from HANDLER_OPERATIONS`);
  return known === 'not-an-api-body' ? undefined : known;
}

/** Problems of one CLI verb against its operation. */
function cliVerbProblems(api: ApiSchema, resource: string, verb: VerbSpec): string[] {
  const operation = operationOf(resource, verb);
  if (!operation) return [];
  const name = `proxyctl ${resource} ${verb.verb}`;
  const inputs = api.inputs(operation.method, operation.path);
  if (!inputs) return [`${name}: ${operation.method} ${operation.path} is not in the OpenAPI document`];
  const problems: string[] = [];
  const hasBody = verb.handler !== undefined || ['POST', 'PUT', 'PATCH'].includes(operation.method);
  const check = (what: string, field: string, where: 'body' | 'query', sent: string[]) => {
    const schema = (where === 'body' ? inputs.body : inputs.query)[field];
    if (!schema) problems.push(`${name}: ${what} names ${where} field "${field}", which ${inputs.route} does not take`);
    else if (!fits(api, schema, sent, where))
      problems.push(
        `${name}: ${what} sends ${sent[0]}, ${inputs.route} ${where} field "${field}" is ${api.kind(schema)}`,
      );
  };
  const reachable = new Set<string>(Object.keys(verb.fixedBody ?? {}));
  for (const arg of verb.args ?? []) {
    if ((arg.in ?? 'path') === 'path') continue;
    if (arg.in === 'json-body') {
      if (inputs.bodyKind !== 'array' && inputs.bodyKind !== 'object')
        problems.push(`${name}: <${arg.name}> is the whole body, ${inputs.route} takes ${inputs.bodyKind ?? 'none'}`);
      inputs.required.forEach((field) => reachable.add(field));
      continue;
    }
    const field = arg.field ?? arg.name;
    check(`<${arg.name}>`, field, arg.in === 'body' ? 'body' : 'query', ['string']);
    if (arg.in === 'body' && !arg.optional) reachable.add(field);
  }
  for (const option of verb.options ?? []) {
    const field = option.field ?? option.flag.replace(/-/g, '_');
    const where = option.in ?? (hasBody ? 'body' : 'query');
    check(`--${option.flag}`, field, where, OPTION_KINDS[option.type]);
    if (where === 'body' && option.required) reachable.add(field);
  }
  const fixed = [
    ...Object.entries(verb.fixedBody ?? {}).map(([field, value]) => ({ field, value, where: 'body' as const })),
    ...Object.entries(verb.fixedQuery ?? {}).map(([field, value]) => ({ field, value, where: 'query' as const })),
  ];
  for (const { field, value, where } of fixed) {
    const schema = (where === 'body' ? inputs.body : inputs.query)[field];
    const allowed = schema && api.enumOf(schema);
    if (!schema) problems.push(`${name}: always sends ${where} field "${field}", which ${inputs.route} does not take`);
    else if (allowed && !allowed.includes(value))
      problems.push(`${name}: always sends ${field}=${String(value)}, not one of ${allowed.join(', ')}`);
  }
  for (const field of inputs.required)
    if (!reachable.has(field))
      problems.push(`${name}: ${inputs.route} requires "${field}"; no argument or required option sends it`);
  return problems;
}

interface DashboardForm {
  page: string;
  method: string;
  path: string;
  fields: { name: string; type: string; required: boolean; options?: string[] }[];
}

/** The dashboard's forms, read by a child Node from the browser modules (test/support/dashboard-forms.mjs). */
function dashboardForms(): DashboardForm[] {
  const out = execFileSync(
    process.execPath,
    ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', join(ROOT, 'test', 'support', 'dashboard-forms.mjs')],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as DashboardForm[];
}

function dashboardFormProblems(api: ApiSchema, form: DashboardForm): string[] {
  const name = `dashboard #/${form.page} form ${form.method} ${form.path}`;
  const inputs = api.inputs(form.method, form.path);
  if (!inputs) return [`${name}: not in the OpenAPI document`];
  const where = form.method === 'GET' ? 'query' : 'body';
  const problems: string[] = [];
  for (const field of form.fields) {
    const schema = (where === 'body' ? inputs.body : inputs.query)[field.name];
    if (!schema) {
      problems.push(`${name}: field "${field.name}" is not a ${where} field of ${inputs.route}`);
      continue;
    }
    if (!fits(api, schema, fieldKinds(field.type), where))
      problems.push(`${name}: field "${field.name}" (${field.type}) sends the wrong type: it is ${api.kind(schema)}`);
    // '' is "not set": form.js leaves the field out.
    const allowed = api.enumOf(schema);
    for (const option of field.options ?? [])
      if (option !== '' && allowed && !allowed.includes(option))
        problems.push(`${name}: field "${field.name}" offers "${option}", not one of ${allowed.join(', ')}`);
  }
  for (const required of inputs.required) {
    const field = form.fields.find((f) => f.name === required);
    // A text input must say it is needed; a checkbox or a select always sends a value.
    if (!field || (!field.required && field.type !== 'checkbox' && field.type !== 'select'))
      problems.push(`${name}: ${inputs.route} requires "${required}"; the form has no required field for it`);
  }
  return problems;
}

interface JustParameter {
  name: string;
  kind: 'singular' | 'plus' | 'star';
  default: string | null;
}
interface JustRecipe {
  name: string;
  parameters: JustParameter[];
}

const JUST_ENV = { PATH: process.env.PATH ?? '', PROXY_API_TOKEN: 'acm_drift', PROXY_API_URL: 'http://127.0.0.1:9' };

/** `just --dump` (stdout). */
function justDump(): { recipes: Record<string, JustRecipe> } {
  const out = execFileSync(JUST, ['--justfile', join(ROOT, 'justfile'), '--dump', '--dump-format', 'json'], {
    encoding: 'utf8',
    env: JUST_ENV,
  });
  return JSON.parse(out) as { recipes: Record<string, JustRecipe> };
}

/**
 * The words of a shell command line, up to its first unquoted ; | & < or > (`just --dry-run` prints
 * the commands as bash gets them: just's quote() makes '...' words, and backticks are not run).
 */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') word = (word ?? '') + line[++i];
    else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (';|&<>'.includes(c)) break;
    else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * A dry run of recipes with their argument values, in one `just` process: the proxyctl argv lists
 * they run. Every command that runs dist/apps/cli/main.js counts; the arguments a *flags recipe
 * passes on ("$@") are its caller's and left out.
 */
function proxyctlCalls(recipesWithValues: string[]): string[][] {
  const run = spawnSync(JUST, ['--justfile', join(ROOT, 'justfile'), '--dry-run', ...recipesWithValues], {
    encoding: 'utf8',
    env: JUST_ENV,
  });
  if (run.status !== 0) throw new Error(`just --dry-run ${recipesWithValues.join(' ')}: ${run.stderr}`);
  // A dry run prints the commands on stderr.
  return run.stderr
    .split('\n')
    .flatMap((line) => line.split("dist/apps/cli/main.js'").slice(1))
    .map((rest) => shellWords(rest).filter((word) => word !== '$@'))
    .filter((argv) => argv.length > 0 && !argv[0].startsWith('-'));
}

/**
 * Values for every parameter of a recipe but its *variadic one: `minimal` gives only the ones
 * without a default (the others keep theirs), else every empty default is set too, so each
 * `{{ if x != "" }}` takes its other branch. A value is the recipe's number (1000 + index): it
 * parses as a name, a number or a list, and tells which recipe a proxyctl call came from.
 */
function recipeValues(recipe: JustRecipe, index: number, minimal: boolean): string[] {
  const marker = String(1000 + index);
  return recipe.parameters
    .filter((p) => p.kind === 'singular')
    .map((p) => (p.default === null || (p.default === '' && !minimal) ? marker : p.default));
}

describe('one API schema: the CLI, the dashboard and the just recipes name only what the DTOs take', () => {
  let server: ServerProcess;
  let api: ApiSchema;

  beforeAll(async () => {
    server = await ServerProcess.start();
    api = new ApiSchema((await server.api<OpenApi>('GET', '/openapi.json', { token: null })).body);
  });
  afterAll(() => server.stop());

  it('proxyctl: every argument and option is a field of its operation, of its type; every required field is sent', () => {
    const problems = COMMANDS.flatMap((r) => r.verbs.flatMap((v) => cliVerbProblems(api, r.resource, v)));
    expect(problems).toEqual([]);
  });

  it('dashboard: every form field is a field of its operation, of its type; every required field is a required input', () => {
    const forms = dashboardForms();
    // The pages with forms: a create or edit form per collection, the request log's filters, and
    // "Add an MCP server" (one form whose fields go to three operations, listed per operation).
    expect(new Set(forms.map((f) => f.page))).toEqual(
      new Set([
        'tokens',
        'proxies',
        'resources',
        'certificates',
        'routes',
        'instances',
        'services',
        'oauth-clients',
        'logs',
        'add-mcp-server',
      ]),
    );
    expect(forms.flatMap((form) => dashboardFormProblems(api, form))).toEqual([]);
  });

  it('just: every recipe calling proxyctl names a verb and options it has, and sends what the operation requires', () => {
    const recipes = Object.values(justDump().recipes);
    const fixedArity = recipes.filter((r) => r.parameters.every((p) => p.kind === 'singular'));
    const variadic = recipes.filter((r) => !fixedArity.includes(r));
    // Recipes of fixed arity, all in one process (with every parameter given, just cannot mistake a
    // value for the next recipe), once as `minimal` and once with everything set; a *variadic recipe
    // takes every word after it, so one process each.
    const runs = [
      ...[true, false].map((minimal) =>
        fixedArity.flatMap((r) => [r.name, ...recipeValues(r, recipes.indexOf(r), minimal)]),
      ),
      ...variadic.map((r) => [r.name, ...recipeValues(r, recipes.indexOf(r), false)]),
    ];
    const problems: string[] = [];
    let calls = 0;
    for (const run of runs) {
      for (const argv of proxyctlCalls(run)) {
        calls++;
        const from = recipes.find((r, i) => argv.includes(String(1000 + i)))?.name ?? 'a recipe';
        const name = `just ${from}: proxyctl ${argv.join(' ')}`;
        let plan;
        try {
          plan = planCommand(argv, { PROXY_API_TOKEN: 'acm_drift' });
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          problems.push(`${name}: ${error.message}`);
          continue;
        }
        if (plan.kind === 'help') {
          problems.push(`${name}: prints help`);
          continue;
        }
        const verb = plan.kind === 'request' ? plan.request.verb : plan.verb;
        const operation = operationOf(COMMANDS.find((r) => r.verbs.includes(verb))!.resource, verb);
        if (!operation) continue;
        const inputs = api.inputs(operation.method, operation.path);
        if (!inputs) continue; // the proxyctl test reports it
        const args = new Set((verb.args ?? []).map((a) => a.field ?? a.name));
        // A whole body given as JSON (an array the operation takes as is) has no fields to check.
        if (verb.args?.some((a) => a.in === 'json-body')) continue;
        const body =
          plan.kind === 'request'
            ? ((plan.request.body ?? {}) as Record<string, unknown>)
            : Object.fromEntries(Object.entries(plan.values).filter(([k]) => !args.has(k)));
        const query = plan.kind === 'request' ? plan.request.query : {};
        for (const field of Object.keys(body))
          if (!(field in inputs.body))
            problems.push(`${name}: sends body field "${field}", which ${inputs.route} does not take`);
        for (const field of Object.keys(query))
          if (!(field in inputs.query))
            problems.push(`${name}: sends query field "${field}", which ${inputs.route} does not take`);
        for (const field of inputs.required)
          if (!(field in body))
            problems.push(`${name}: ${inputs.route} requires "${field}"; the recipe cannot send it`);
      }
    }
    // Most recipes are proxyctl calls: a parser that found none would pass vacuously.
    expect(calls).toBeGreaterThan(150);
    expect(problems).toEqual([]);
  });
});
