import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type EchoMode = 'stateless' | 'stateful';

/** The repository root (this file runs from dist/apps/cli or apps/cli/src). */
const ROOT = resolve(__dirname, '..', '..', '..');

interface Health {
  status: string;
  mode: string;
  allowed_hosts: string[] | '*';
}

export interface EchoProcessInfo {
  pid: number | null;
  reused: boolean;
  logFile: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The example MCP servers as background processes, like `just up` runs the server:
 * `data/mcp-echo-<mode>.pid` and `data/mcp-echo-<mode>.log`. `ensure` is idempotent: a server
 * already answering on the port in the right mode (and for the right hostnames) is kept.
 */
export class EchoProcesses {
  readonly dataDir: string;

  constructor(
    dataDir?: string,
    readonly main: string = join(ROOT, 'dist', 'apps', 'mcp-echo', 'main.js'),
  ) {
    this.dataDir = resolve(dataDir ?? join(ROOT, 'data'));
  }

  pidFile(mode: EchoMode): string {
    return join(this.dataDir, `mcp-echo-${mode}.pid`);
  }
  logFile(mode: EchoMode): string {
    return join(this.dataDir, `mcp-echo-${mode}.log`);
  }

  private storedPid(mode: EchoMode): number | null {
    if (!existsSync(this.pidFile(mode))) return null;
    const pid = Number(readFileSync(this.pidFile(mode), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  }

  private async health(port: number): Promise<Health | 'none' | 'foreign'> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json().catch(() => null)) as Health | null;
      return res.status === 200 && body && typeof body.mode === 'string' ? body : 'foreign';
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      return code === 'ECONNREFUSED' ? 'none' : 'foreign';
    }
  }

  async ensure(mode: EchoMode, port: number, allowedHosts: string[]): Promise<EchoProcessInfo> {
    const logFile = this.logFile(mode);
    const wanted = [...allowedHosts].sort().join(',');
    let pid = this.storedPid(mode);
    const current = await this.health(port);
    if (current === 'foreign')
      throw new Error(
        `port ${port} is in use by another program (not an echo server); choose another with --${mode}-port`,
      );
    if (current !== 'none') {
      const hosts = current.allowed_hosts === '*' ? '*' : [...current.allowed_hosts].sort().join(',');
      if (current.mode === mode && (hosts === wanted || hosts === '*')) return { pid, reused: true, logFile };
      if (pid === null)
        throw new Error(
          `port ${port} has an echo server (${current.mode}, hosts ${hosts}) that this command did not start; stop it or choose another --${mode}-port`,
        );
      // Ours, but for other hostnames or the other mode: restart it.
      await this.stopPid(pid);
      pid = null;
    } else if (pid !== null) {
      await this.stopPid(pid); // a leftover that does not answer
    }
    if (!existsSync(this.main)) throw new Error(`${this.main} is missing: build it with "npx nest build mcp-echo"`);
    mkdirSync(this.dataDir, { recursive: true });
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [this.main], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: {
        ...process.env,
        MCP_ECHO_MODE: mode,
        MCP_ECHO_PORT: String(port),
        MCP_ECHO_ALLOWED_HOSTS: allowedHosts.join(','),
      },
    });
    closeSync(fd);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${this.main}`);
    writeFileSync(this.pidFile(mode), `${child.pid}\n`);
    for (let i = 0; i < 100; i++) {
      if (!alive(child.pid)) break;
      const h = await this.health(port);
      if (h !== 'none' && h !== 'foreign' && h.mode === mode) return { pid: child.pid, reused: false, logFile };
      await sleep(100);
    }
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-5).join('\n') : '';
    if (alive(child.pid)) await this.stopPid(child.pid);
    rmSync(this.pidFile(mode), { force: true });
    throw new Error(
      `the ${mode} echo server did not answer on port ${port} within 10 s; last lines of ${logFile}:\n${tail}`,
    );
  }

  /** Stops a server this class started (pid file), if it runs. */
  async stop(mode: EchoMode): Promise<number | null> {
    const pid = this.storedPid(mode);
    if (pid !== null) await this.stopPid(pid);
    rmSync(this.pidFile(mode), { force: true });
    return pid;
  }

  private async stopPid(pid: number): Promise<void> {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}
