import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createEchoServer } from './echo-tools';
import { EchoSettings, hostAllowed } from './settings';

const MAX_BODY = 1024 * 1024;
export const MCP_PATH = '/mcp';

export interface EchoHttpServer {
  server: Server;
  url: string;
  /** Open sessions (stateful mode). */
  sessionCount(): number;
  close(): Promise<void>;
}

function jsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BodyError(413, `request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BodyError(400, 'Parse error: the body is not JSON');
  }
}

/**
 * The echo MCP server over Streamable HTTP on `/mcp`.
 * - stateless: a fresh server and transport per POST; GET and DELETE answer 405.
 * - stateful: `initialize` opens a session (`Mcp-Session-Id`); later POST/GET/DELETE name it; DELETE
 *   ends it, and a request naming an ended or unknown session answers 404 (the spec's "start a new
 *   session" signal).
 */
export async function startEchoHttpServer(
  settings: EchoSettings,
  log: (line: string) => void = () => undefined,
): Promise<EchoHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const handleStateful = async (req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> => {
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId) {
      const transport = sessions.get(sessionId);
      if (!transport)
        return jsonRpcError(
          res,
          404,
          -32001,
          'Session not found: it ended or never existed; send initialize to start a new one',
        );
      return transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return jsonRpcError(
        res,
        400,
        -32000,
        'Bad Request: no Mcp-Session-Id header; only an initialize request may come without one',
      );
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
        log(`session ${id} opened`);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
        log(`session ${id} closed by DELETE`);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await createEchoServer(settings).connect(transport);
    return transport.handleRequest(req, res, body);
  };

  const handleStateless = async (req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> => {
    if (req.method !== 'POST')
      return jsonRpcError(res, 405, -32000, 'Method not allowed: this server is stateless (POST only, no sessions)', {
        allow: 'POST',
      });
    const server = createEchoServer(settings);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    return transport.handleRequest(req, res, body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (!hostAllowed(req.headers.host, settings.allowedHosts)) {
      return jsonRpcError(
        res,
        403,
        -32000,
        `Invalid Host header: ${req.headers.host ?? '(none)'} (add it to MCP_ECHO_ALLOWED_HOSTS)`,
      );
    }
    if (path === '/health' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'ok',
          mode: settings.mode,
          sessions: sessions.size,
          allowed_hosts: settings.allowedHosts ?? '*',
          header_prefix: settings.headerPrefix,
        }),
      );
      return;
    }
    if (path !== MCP_PATH) return jsonRpcError(res, 404, -32000, `Not found: the MCP endpoint is ${MCP_PATH}`);
    if (!['POST', 'GET', 'DELETE'].includes(req.method ?? '')) {
      return jsonRpcError(res, 405, -32000, `Method not allowed: ${req.method}`, {
        allow: settings.mode === 'stateless' ? 'POST' : 'GET, POST, DELETE',
      });
    }
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    return settings.mode === 'stateful' ? handleStateful(req, res, body) : handleStateless(req, res, body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof BodyError)
        return jsonRpcError(res, error.status, error.status === 400 ? -32700 : -32000, error.message);
      log(`request failed: ${(error as Error).stack ?? String(error)}`);
      jsonRpcError(res, 500, -32603, 'Internal error');
      if (!res.writableEnded) res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.bind, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}${MCP_PATH}`,
    sessionCount: () => sessions.size,
    close: async () => {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
