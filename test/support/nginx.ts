import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

/**
 * Debian's nginx (foreground, temp prefix) with a config the test writes: `server(port, dir)` returns
 * the `server { ... }` blocks. Only loopback.
 */
export class NginxProcess {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  get logs(): string {
    return this.output;
  }

  static async start(servers: (port: number) => string): Promise<NginxProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
    const config = join(dir, 'nginx.conf');
    writeFileSync(
      config,
      [
        'worker_processes 1;',
        `pid ${dir}/nginx.pid;`,
        'error_log stderr warn;',
        'events { worker_connections 64; }',
        'http {',
        '  access_log off;',
        `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
        servers(port),
        '}',
        '',
      ].join('\n'),
    );
    const binary = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
    const child = spawn(binary, ['-p', dir, '-e', 'stderr', '-c', config, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const nginx = new NginxProcess(child, dir, port);
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${nginx.output}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen within 10 s:\n${nginx.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return nginx;
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
