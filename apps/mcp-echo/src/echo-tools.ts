import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { EchoSettings } from './settings';

/** The identity headers the proxy sets after a successful token check (suffixes after the prefix). */
export const IDENTITY_HEADERS = {
  user_id: 'User-Id',
  user_name: 'User-Name',
  user_email: 'User-Email',
  scopes: 'Scopes',
  client_id: 'Client-Id',
} as const;

export type Identity = { [K in keyof typeof IDENTITY_HEADERS]: string | null } & { headers: Record<string, string> };

/** Reads the identity headers (any header starting with the prefix is also listed under `headers`). */
export function identityFrom(headers: Record<string, string | string[] | undefined>, prefix: string): Identity {
  const lower = prefix.toLowerCase();
  const single = (name: string): string | null => {
    const value = headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const all: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase().startsWith(lower) && value !== undefined)
      all[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    user_id: single(`${prefix}${IDENTITY_HEADERS.user_id}`),
    user_name: single(`${prefix}${IDENTITY_HEADERS.user_name}`),
    user_email: single(`${prefix}${IDENTITY_HEADERS.user_email}`),
    scopes: single(`${prefix}${IDENTITY_HEADERS.scopes}`),
    client_id: single(`${prefix}${IDENTITY_HEADERS.client_id}`),
    headers: all,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One MCP server (the SDK wants one per transport): tools echo, whoami, countdown. */
export function createEchoServer(settings: EchoSettings): McpServer {
  const server = new McpServer({ name: settings.name, version: '1.0.0' }, { capabilities: { logging: {} } });

  server.registerTool(
    'echo',
    { description: 'Returns the text it was given.', inputSchema: { text: z.string().describe('Text to echo back') } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );

  server.registerTool(
    'whoami',
    {
      description: `Returns the identity headers the proxy passed (${settings.headerPrefix}User-Id, -User-Name, -User-Email, -Scopes, -Client-Id).`,
      inputSchema: {},
    },
    async (_args, extra) => {
      const identity = identityFrom(extra.requestInfo?.headers ?? {}, settings.headerPrefix);
      return { content: [{ type: 'text', text: JSON.stringify(identity) }], structuredContent: identity };
    },
  );

  server.registerTool(
    'countdown',
    {
      description: 'Streams progress notifications (one per step, over SSE) and then answers "done".',
      inputSchema: {
        steps: z.number().int().min(1).max(100).default(3).describe('How many progress notifications to send'),
        interval_ms: z.number().int().min(0).max(10_000).default(50).describe('Pause between notifications'),
      },
    },
    async ({ steps, interval_ms }, extra) => {
      const token = extra._meta?.progressToken;
      for (let step = 1; step <= steps; step++) {
        if (token !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: step, total: steps, message: `step ${step} of ${steps}` },
          });
        } else {
          await extra.sendNotification({
            method: 'notifications/message',
            params: { level: 'info', data: `step ${step} of ${steps}` },
          });
        }
        if (interval_ms > 0 && step < steps) await sleep(interval_ms);
      }
      return { content: [{ type: 'text', text: `done after ${steps} steps` }] };
    },
  );

  return server;
}
