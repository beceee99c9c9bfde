import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../ports';
import { waitFor } from '../wait';

const SERVER = join(__dirname, 'everything-server.mts');

/**
 * The MCP conformance suite's own reference server (the vendored everything-server.mts beside this
 * file, run by node with its types stripped) as a child process on a free loopback port.
 */
export class ReferenceServer {
  private output = '';

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  static async start(): Promise<ReferenceServer> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', SERVER], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ReferenceServer(port, child);
    try {
      // It has no health route: a GET without a session is its 400 "Invalid or missing session ID".
      await waitFor(
        'the conformance reference server to answer GET /mcp (value: its status)',
        async () => (await fetch(server.url)).status,
        (status) => status === 400,
        {
          timeoutMs: 15_000,
          giveUpIf: () => child.exitCode !== null && `the reference server exited with ${child.exitCode}`,
          details: () => `reference server output:\n${server.output}`,
        },
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/mcp`;
  }

  get logs(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
