import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

/** Debian's haproxy in TCP mode in front of a PROXY protocol listener: one frontend per PROXY version. */
export class HaproxyProcess {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly v1Port: number,
    readonly v2Port: number,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  static async start(upstreamPort: number): Promise<HaproxyProcess> {
    const [v1Port, v2Port] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'haproxy-'));
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(
      config,
      [
        'defaults',
        '  mode tcp',
        '  timeout connect 5s',
        '  timeout client 30s',
        '  timeout server 30s',
        'frontend v1',
        `  bind 127.0.0.1:${v1Port}`,
        '  default_backend proxy_v1',
        'backend proxy_v1',
        `  server upstream 127.0.0.1:${upstreamPort} send-proxy`,
        'frontend v2',
        `  bind 127.0.0.1:${v2Port}`,
        '  default_backend proxy_v2',
        'backend proxy_v2',
        `  server upstream 127.0.0.1:${upstreamPort} send-proxy-v2`,
        '',
      ].join('\n'),
    );
    const child = spawn(existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy', ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const haproxy = new HaproxyProcess(child, dir, v1Port, v2Port);
    const deadline = Date.now() + 10_000;
    while (!(await accepts(v1Port)) || !(await accepts(v2Port))) {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${haproxy.output}`);
      if (Date.now() > deadline) throw new Error(`haproxy did not listen within 10 s:\n${haproxy.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return haproxy;
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
