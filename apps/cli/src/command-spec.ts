/**
 * The shape of the CLI's command table. Each API operation is one declarative `VerbSpec` under a
 * `ResourceSpec`; the parser, help, request building and output all work from these descriptions,
 * so a new resource is data, not code.
 */
import type { ApiClient } from './api-client';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How an option's text becomes a JSON value. `list` accepts repeats and commas: `--x a,b --x c`. */
export type OptionType = 'string' | 'boolean' | 'integer' | 'number' | 'list' | 'json';

export interface ArgSpec {
  /** Shown in usage as `<name>`; also the `{name}` placeholder in the path when `in` is `path`. */
  name: string;
  /**
   * Where the value goes. Default: `path`. `json-body`: the argument is JSON (or `@file` to read it)
   * and is the whole request body, for operations that take a bare array (`rate-limits-set`).
   */
  in?: 'path' | 'body' | 'query' | 'json-body';
  /** Field name in the body or query; default: `name`. */
  field?: string;
  description: string;
  optional?: boolean;
  /** A `json-body` argument's example, shown when its text is not JSON. */
  example?: string;
}

export interface OptionSpec {
  /** The flag without dashes, kebab-case: `cert-email` is `--cert-email`. */
  flag: string;
  /** Field in the body or query; default: the flag with `-` as `_` (`cert_email`). */
  field?: string;
  type: OptionType;
  /** Default: `body` for POST/PUT/PATCH, `query` otherwise. */
  in?: 'body' | 'query';
  required?: boolean;
  description: string;
}

export interface ColumnSpec {
  header: string;
  /** Field of the row; dotted paths reach into objects (`redis.status`). */
  key: string;
  /** Custom text for the cell; default: see `formatValue` in render.ts. */
  format?: (value: unknown, row: Record<string, unknown>) => string;
}

interface VerbBase {
  verb: string;
  summary: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  /** Table columns when the answer is a list (default: every scalar field). */
  columns?: ColumnSpec[];
  /** Public routes (no token needed). */
  public?: boolean;
  /** Print the answer even when the status is an error (health answers 503 with a body). */
  printBodyOnError?: boolean;
  /** A line printed to stderr after a successful table-mode answer (e.g. "store the token now"). */
  note?: string;
  /**
   * The answer is an object whose `listKey` field holds the rows (`{ total, entries: [...] }`): table
   * mode prints the object's scalar fields, then the rows as a table with `columns`.
   */
  listKey?: string;
  /** The answer as text in table mode, when neither a table nor key/value lines read well (`logs mcp`). */
  render?: (body: unknown) => string;
  /** Body fields always sent (e.g. `scope: 'global'` for `route create-global`). */
  fixedBody?: Record<string, unknown>;
  /** Query parameters always sent (e.g. `follow=true` for a streaming verb). */
  fixedQuery?: Record<string, string>;
  /**
   * A response that stays open: `sse` (text/event-stream; each event's data is printed as it comes,
   * one line per event, JSON lines with --json) or `text` (copied through). Ends with Ctrl-C.
   */
  stream?: 'sse' | 'text';
  /** Send the token when there is one, but do not require it (`/metrics` with METRICS_TOKEN). */
  tokenOptional?: boolean;
  /** An environment variable whose token this verb prefers to PROXY_API_TOKEN (`METRICS_TOKEN`). */
  tokenEnv?: string;
  /**
   * A successful answer that still means failure for scripts (`resource validate` with valid=false):
   * return the message; the answer is printed, then `error: <message>` on stderr, exit code 1.
   */
  failWhen?: (body: unknown) => string | undefined;
}

/** A verb that is exactly one API request (almost all of them). */
export interface RequestVerbSpec extends VerbBase {
  method: HttpMethod;
  /** API path with `{arg}` placeholders, e.g. `/api/v1/tokens/{name}`. */
  path: string;
  handler?: undefined;
}

/** What a handler verb gets: the parsed arguments and options (by field name) and an API client. */
export interface VerbContext {
  values: Record<string, unknown>;
  client: ApiClient;
  token?: string;
  url: string;
  json: boolean;
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * A verb that needs several steps (e.g. `mcp echo-setup`): parsing and help stay generic, the
 * handler runs the steps and returns the exit code. Use sparingly; one request is a RequestVerbSpec.
 */
export interface HandlerVerbSpec extends VerbBase {
  /** Shown in help instead of `API: METHOD path`. */
  calls: string;
  handler: (context: VerbContext) => Promise<number>;
}

export type VerbSpec = RequestVerbSpec | HandlerVerbSpec;

export interface ResourceSpec {
  resource: string;
  aliases?: string[];
  summary: string;
  /** The verb used when none is given (`proxyctl health`). */
  defaultVerb?: string;
  verbs: VerbSpec[];
}
