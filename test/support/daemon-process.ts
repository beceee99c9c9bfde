import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { waitFor } from './wait';

/**
 * A Debian daemon run in the foreground for a test (nginx, haproxy): its output collected, started
 * from a config in its own temp folder, stopped with SIGTERM and the folder removed.
 */
export class DaemonProcess {
  private output = '';

  protected constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  get logs(): string {
    return this.output;
  }

  /** Spawns `/usr/sbin/<name>` (or `<name>` from PATH) with `args`. */
  protected static spawn(name: string, args: string[]): ChildProcess {
    return spawn(existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Resolves once every port accepts connections; throws with the daemon's output when it exits or takes over 10 s. */
  protected async listening(name: string, ports: number[]): Promise<void> {
    await waitFor(
      `${name} to listen on ports ${ports.join(', ')} (value: the ports not listening yet)`,
      async () => {
        const open = await Promise.all(ports.map(accepts));
        return ports.filter((_, i) => !open[i]);
      },
      (notYet) => notYet.length === 0,
      {
        timeoutMs: 10_000,
        giveUpIf: () => this.child.exitCode !== null && `${name} exited with ${this.child.exitCode}`,
        details: () => `${name} output:\n${this.output}`,
      },
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
