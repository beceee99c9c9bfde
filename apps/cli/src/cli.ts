import { readFileSync } from 'node:fs';
import { ApiClient, ConnectionError, errorMessage } from './api-client';
import { parseArgv, ParsedArgv, UsageError } from './argv';
import type { HandlerVerbSpec, OptionSpec, OptionType, RequestVerbSpec, ResourceSpec, VerbSpec } from './command-spec';
import { COMMANDS } from './commands';
import { formatValue, pick, renderBody, renderListAnswer } from './render';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, apiError: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;

export const DEFAULT_API_URL = 'http://127.0.0.1:9000';

/** Flags every command accepts. */
const GLOBAL_FLAGS: OptionSpec[] = [
  { flag: 'json', type: 'boolean', description: 'print the API answer as JSON (for scripts)' },
  { flag: 'url', type: 'string', description: `API base URL (env PROXY_API_URL, default ${DEFAULT_API_URL})` },
  { flag: 'token', type: 'string', description: 'bearer token (env PROXY_API_TOKEN, then ADMIN_TOKEN)' },
  { flag: 'help', type: 'boolean', description: 'show help' },
];

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  fetch?: typeof fetch;
  /** Aborted on Ctrl-C: ends a streaming command (`logs follow`) with exit code 0. */
  interrupt?: AbortSignal;
}

/** A command resolved to one HTTP request. */
export interface PlannedRequest {
  resource: ResourceSpec;
  verb: RequestVerbSpec;
  path: string;
  query: Record<string, string>;
  /** The fields of the body, or (an argument `in: 'json-body'`) the whole body as given. */
  body?: unknown;
  json: boolean;
  url: string;
  token?: string;
}

export type Plan =
  | { kind: 'help'; text: string }
  | { kind: 'request'; request: PlannedRequest }
  | {
      kind: 'handler';
      verb: HandlerVerbSpec;
      values: Record<string, unknown>;
      json: boolean;
      url: string;
      token?: string;
    };

function booleanFlags(commands: readonly ResourceSpec[]): Set<string> {
  const names = new Set(GLOBAL_FLAGS.filter((f) => f.type === 'boolean').map((f) => f.flag));
  for (const r of commands)
    for (const v of r.verbs) for (const o of v.options ?? []) if (o.type === 'boolean') names.add(o.flag);
  return names;
}

function findResource(commands: readonly ResourceSpec[], name: string): ResourceSpec | undefined {
  return commands.find((r) => r.resource === name || r.aliases?.includes(name));
}

const usageOf = (r: ResourceSpec, v: VerbSpec) =>
  [
    `proxyctl ${r.resource} ${v.verb}`,
    ...(v.args ?? []).map((a) => (a.optional ? `[${a.name}]` : `<${a.name}>`)),
    ...(v.options?.length ? ['[options]'] : []),
  ].join(' ');

/** What help shows after a flag for the value it takes (a boolean flag takes none). */
const VALUE_HINTS: Record<OptionType, string> = {
  boolean: '',
  list: ' <a,b,...>',
  json: ' <json>',
  integer: ' <n>',
  number: ' <n>',
  string: ' <value>',
};

function optionLine(o: OptionSpec): string {
  return `${`  --${o.flag}${VALUE_HINTS[o.type]}`.padEnd(29)} ${o.description}${o.required ? ' (required)' : ''}`;
}

export function mainHelp(commands: readonly ResourceSpec[] = COMMANDS): string {
  const lines = ['Usage: proxyctl <resource> <verb> [args] [options]', '', 'Commands:'];
  for (const r of commands)
    for (const v of r.verbs) lines.push(`  ${`${r.resource} ${v.verb}`.padEnd(28)}${v.summary}`);
  lines.push('', 'Options:', ...GLOBAL_FLAGS.map(optionLine), '');
  lines.push('Exit codes: 0 ok, 1 the API answered an error (4xx/5xx), 2 usage error, 3 cannot reach the API.');
  lines.push('Run "proxyctl <resource> --help" or "proxyctl <resource> <verb> --help" for details.', '');
  return lines.join('\n');
}

function resourceHelp(r: ResourceSpec): string {
  const lines = [`${r.summary}`, '', 'Usage:'];
  // Long usages (several arguments) get their summary on the next line, so the columns stay aligned.
  for (const v of r.verbs) {
    const usage = usageOf(r, v);
    lines.push(
      usage.length <= 44 ? `  ${usage.padEnd(44)} ${v.summary}` : `  ${usage}\n  ${''.padEnd(44)} ${v.summary}`,
    );
  }
  lines.push('', `Run "proxyctl ${r.resource} <verb> --help" for a verb's arguments and options.`, '');
  return lines.join('\n');
}

function verbHelp(r: ResourceSpec, v: VerbSpec): string {
  const api = v.handler ? v.calls : `${v.method} ${v.path}`;
  const lines = [
    `${v.summary}`,
    '',
    `Usage: ${usageOf(r, v)}`,
    '',
    `API: ${api}${v.public ? ' (no token needed)' : ''}`,
  ];
  if (v.args?.length) lines.push('', 'Arguments:', ...v.args.map((a) => `  ${a.name.padEnd(28)}${a.description}`));
  lines.push('', 'Options:', ...(v.options ?? []).map(optionLine), ...GLOBAL_FLAGS.map(optionLine), '');
  return lines.join('\n');
}

function readJsonFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${name} @${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

/** JSON text, or the content of the file `@path` names (JSON never starts with @). */
function parseJsonValue(name: string, text: string, example: string): unknown {
  const source = text.startsWith('@') ? readJsonFile(name, text.slice(1)) : text;
  try {
    return JSON.parse(source) as unknown;
  } catch {
    throw new UsageError(`${name} must be JSON, e.g. '${example}' (got ${source.slice(0, 200)})`);
  }
}

function convert(option: OptionSpec, values: string[]): unknown {
  const last = values[values.length - 1];
  switch (option.type) {
    case 'string':
      return last;
    case 'boolean':
      if (!['true', 'false', 'yes', 'no', '1', '0'].includes(last.toLowerCase()))
        throw new UsageError(`--${option.flag} must be true or false (got "${last}")`);
      return ['true', 'yes', '1'].includes(last.toLowerCase());
    case 'integer':
      if (!/^-?\d+$/.test(last)) throw new UsageError(`--${option.flag} must be a whole number (got "${last}")`);
      return Number(last);
    case 'number':
      if (!/^-?\d+(\.\d+)?$/.test(last)) throw new UsageError(`--${option.flag} must be a number (got "${last}")`);
      return Number(last);
    case 'list':
      return values
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== '');
    case 'json':
      // `--rules @rules.json` reads the file.
      return parseJsonValue(`--${option.flag}`, last, '{"X-Header":"value"}');
  }
}

/** A converted option as a query string value: lists comma-joined, anything else not a string as JSON. */
function asQueryValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(',');
  return JSON.stringify(value);
}

/** Resolves argv plus environment into either help text or one API request; throws UsageError. */
export function planCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  commands: readonly ResourceSpec[] = COMMANDS,
): Plan {
  const parsed: ParsedArgv = parseArgv(argv, booleanFlags(commands));
  const { positionals, flags } = parsed;
  const help = flags.has('help');
  if (positionals.length === 0) {
    if (help) return { kind: 'help', text: mainHelp(commands) };
    throw new UsageError('missing command');
  }
  if (positionals[0] === 'help') return { kind: 'help', text: mainHelp(commands) };
  const resource = findResource(commands, positionals[0]);
  if (!resource)
    throw new UsageError(
      `unknown command "${positionals[0]}"; resources: ${commands.map((r) => r.resource).join(', ')}`,
    );
  let verbName = positionals[1];
  let rest = positionals.slice(2);
  if (verbName === undefined || !resource.verbs.some((v) => v.verb === verbName)) {
    if (help && verbName === undefined) return { kind: 'help', text: resourceHelp(resource) };
    if (resource.defaultVerb && (verbName === undefined || !resource.verbs.some((v) => v.verb === verbName))) {
      rest = positionals.slice(1);
      verbName = resource.defaultVerb;
    } else if (verbName === undefined) {
      throw new UsageError(
        `missing verb for "${resource.resource}"; verbs: ${resource.verbs.map((v) => v.verb).join(', ')}`,
      );
    } else {
      throw new UsageError(
        `unknown verb "${verbName}" for "${resource.resource}"; verbs: ${resource.verbs.map((v) => v.verb).join(', ')}`,
      );
    }
  }
  const verb = resource.verbs.find((v) => v.verb === verbName)!;
  if (help) return { kind: 'help', text: verbHelp(resource, verb) };

  const known = new Map([...GLOBAL_FLAGS, ...(verb.options ?? [])].map((o) => [o.flag, o]));
  for (const name of flags.keys()) {
    if (!known.has(name))
      throw new UsageError(`unknown option --${name} for "${resource.resource} ${verb.verb}"; see --help`);
  }
  const args = verb.args ?? [];
  const required = args.filter((a) => !a.optional).length;
  if (rest.length < required)
    throw new UsageError(`missing <${args[rest.length].name}>; usage: ${usageOf(resource, verb)}`);
  if (rest.length > args.length)
    throw new UsageError(`unexpected argument "${rest[args.length]}"; usage: ${usageOf(resource, verb)}`);

  // A handler verb gets every value by field name (in `body`).
  const hasBody =
    verb.handler !== undefined || verb.method === 'POST' || verb.method === 'PUT' || verb.method === 'PATCH';
  const body: Record<string, unknown> = verb.handler ? {} : { ...verb.fixedBody };
  const query: Record<string, string> = verb.handler ? {} : { ...verb.fixedQuery };
  let wholeBody: { value: unknown } | undefined;
  let path = verb.handler ? '' : verb.path;
  args.forEach((a, i) => {
    const value = rest[i];
    if (value === undefined) return;
    const where = a.in ?? 'path';
    if (verb.handler) body[a.field ?? a.name] = value;
    else if (where === 'json-body') wholeBody = { value: parseJsonValue(`<${a.name}>`, value, a.example ?? '[]') };
    else if (where === 'path') path = path.replace(`{${a.name}}`, encodeURIComponent(value));
    else if (where === 'body') body[a.field ?? a.name] = value;
    else query[a.field ?? a.name] = value;
  });
  if (/\{[^}]+\}/.test(path)) throw new Error(`command table error: ${path} has a placeholder without an argument`);
  for (const option of verb.options ?? []) {
    const values = flags.get(option.flag);
    if (!values) {
      if (option.required) throw new UsageError(`--${option.flag} is required; usage: ${usageOf(resource, verb)}`);
      continue;
    }
    const value = convert(option, values);
    const field = option.field ?? option.flag.replace(/-/g, '_');
    if ((option.in ?? (hasBody ? 'body' : 'query')) === 'body') body[field] = value;
    else query[field] = asQueryValue(value);
  }

  const last = (name: string) => flags.get(name)?.at(-1);
  // Empty variables count as unset (a copied .env.example has them).
  const url = last('url') ?? (env.PROXY_API_URL || undefined) ?? DEFAULT_API_URL;
  if (!/^https?:\/\/[^\s/]+/.test(url))
    throw new UsageError(`the API URL must start with http:// or https:// (got "${url}")`);
  const token =
    last('token') ??
    ((verb.tokenEnv && env[verb.tokenEnv]) || undefined) ??
    (env.PROXY_API_TOKEN || undefined) ??
    (env.ADMIN_TOKEN || undefined);
  if (!verb.public && !verb.tokenOptional && !token)
    throw new UsageError('no API token: set PROXY_API_TOKEN (or ADMIN_TOKEN) or pass --token');
  const json = flags.has('json') && last('json') !== 'false';
  if (verb.handler) return { kind: 'handler', verb, values: body, json, url, token: verb.public ? undefined : token };
  return {
    kind: 'request',
    request: {
      resource,
      verb,
      path,
      query,
      body: requestBody(wholeBody, hasBody, body),
      json,
      url,
      token: verb.public ? undefined : token,
    },
  };
}

/** What a request sends: the whole body an argument gave, else the fields (for methods with a body). */
function requestBody(
  whole: { value: unknown } | undefined,
  hasBody: boolean,
  fields: Record<string, unknown>,
): unknown {
  if (whole) return whole.value;
  return hasBody ? fields : undefined;
}

/** Runs one command; returns the process exit code (see EXIT). Never throws. */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  let plan: Plan;
  try {
    plan = planCommand(argv, env);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`proxyctl: ${error.message}\nRun "proxyctl --help" for usage.\n`);
      return EXIT.usage;
    }
    throw error;
  }
  if (plan.kind === 'help') {
    io.stdout(plan.text);
    return EXIT.ok;
  }
  if (plan.kind === 'handler') {
    const client = new ApiClient(plan.url, 30_000, io.fetch);
    return plan.verb.handler({
      values: plan.values,
      client,
      token: plan.token,
      url: plan.url,
      json: plan.json,
      env,
      stdout: io.stdout,
      stderr: io.stderr,
    });
  }
  const { request } = plan;
  try {
    const client = new ApiClient(request.url, 30_000, io.fetch);
    const options = {
      method: request.verb.method,
      path: request.path,
      query: request.query,
      body: request.body,
      token: request.token,
    };
    if (request.verb.stream) return await runStream(client, options, request, io);
    const answer = await client.request(options, io.interrupt);
    const failed = answer.status >= 400;
    if (!failed || request.verb.printBodyOnError) {
      io.stdout(renderAnswer(answer.body, request));
    }
    if (failed) {
      const id = answer.requestId ? `, request ${answer.requestId}` : '';
      io.stderr(`error: ${errorMessage(answer.status, answer.body)} (HTTP ${answer.status}${id})\n`);
      return EXIT.apiError;
    }
    const refusal = request.verb.failWhen?.(answer.body);
    if (refusal) {
      io.stderr(`error: ${refusal}\n`);
      return EXIT.apiError;
    }
    if (!request.json && request.verb.note) io.stderr(`${request.verb.note}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ConnectionError) {
      if (io.interrupt?.aborted) return EXIT.interrupted;
      io.stderr(`error: ${error.message}\n`);
      return EXIT.unreachable;
    }
    throw error;
  }
}

/** An API answer as printed: JSON for --json, else a table for a list answer, else the body's fields. */
function renderAnswer(body: unknown, request: PlannedRequest): string {
  if (request.json) return `${JSON.stringify(body ?? null, null, 2)}\n`;
  if (request.verb.render) return request.verb.render(body);
  if (request.verb.listKey) return renderListAnswer(body, request.verb.listKey, request.verb.columns);
  return renderBody(body, request.verb.columns);
}

/** One streamed event as a line: the declared columns' cells separated by two spaces, or the data as is. */
function eventLine(data: string, request: PlannedRequest): string {
  if (request.json || !request.verb.columns?.length) return data;
  let row: unknown;
  try {
    row = JSON.parse(data);
  } catch {
    return data;
  }
  return request.verb.columns
    .map((c) => (c.format ? c.format(pick(row, c.key), row as Record<string, unknown>) : formatValue(pick(row, c.key))))
    .join('  ');
}

/**
 * A streaming verb: prints events (SSE: one line per event's data) or text as they arrive, until the
 * server ends the response or Ctrl-C (io.interrupt), which exits 0.
 */
async function runStream(
  client: ApiClient,
  options: Parameters<ApiClient['request']>[0],
  request: PlannedRequest,
  io: CliIo,
): Promise<number> {
  const signal = io.interrupt ?? new AbortController().signal;
  const sse = request.verb.stream === 'sse';
  let buffer = '';
  const onChunk = (chunk: string) => {
    if (!sse) return io.stdout(chunk);
    buffer += chunk.replace(/\r\n/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) io.stdout(`${eventLine(data, request)}\n`);
    }
  };
  let answer;
  try {
    answer = await client.stream({ ...options, accept: sse ? 'text/event-stream' : 'text/plain' }, signal, onChunk);
  } catch (error) {
    if (signal.aborted) return EXIT.ok;
    throw error;
  }
  if (answer.status >= 400) {
    const id = answer.requestId ? `, request ${answer.requestId}` : '';
    io.stderr(`error: ${errorMessage(answer.status, answer.body)} (HTTP ${answer.status}${id})\n`);
    return EXIT.apiError;
  }
  return EXIT.ok;
}
