import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports';
import { waitFor } from './wait';

const ROOT = join(__dirname, '..', '..');
export const MCP_ECHO_MAIN = join(ROOT, 'dist', 'apps', 'mcp-echo', 'main.js');

/** The built example MCP server (`dist/apps/mcp-echo/main.js`) as a child process on a free loopback port. */
export class McpEchoProcess {
  private output = '';

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  static async start(mode: 'stateless' | 'stateful', env: Record<string, string> = {}): Promise<McpEchoProcess> {
    if (!existsSync(MCP_ECHO_MAIN))
      throw new Error(`${MCP_ECHO_MAIN} is missing: run "npm test" (it builds) or "npx nest build mcp-echo"`);
    const port = await freePort();
    const child = spawn(process.execPath, [MCP_ECHO_MAIN], {
      env: { PATH: process.env.PATH ?? '', MCP_ECHO_MODE: mode, MCP_ECHO_PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const echo = new McpEchoProcess(port, child);
    try {
      await waitFor(
        'mcp-echo to answer GET /health with 200 (value: its status)',
        async () => (await fetch(`${echo.baseUrl}/health`)).status,
        (status) => status === 200,
        {
          timeoutMs: 15_000,
          giveUpIf: () => child.exitCode !== null && `mcp-echo exited with ${child.exitCode}`,
          details: () => `mcp-echo output:\n${echo.output}`,
        },
      );
    } catch (error) {
      child.kill('SIGKILL');
      // It stopped by itself (e.g. a bad setting): its exit code and what it printed are the answer.
      if (child.exitCode !== null) throw new Error(`mcp-echo exited with ${child.exitCode}:\n${echo.output}`);
      throw error;
    }
    return echo;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get url(): string {
    return `${this.baseUrl}/mcp`;
  }
  get logs(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
