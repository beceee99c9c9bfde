import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess } from './daemon-process';
import { freePort } from './ports';

/**
 * Debian's nginx (foreground, temp prefix) with a config the test writes: `server(port, dir)` returns
 * the `server { ... }` blocks. Only loopback.
 */
export class NginxProcess extends DaemonProcess {
  private constructor(
    child: ChildProcess,
    dir: string,
    readonly port: number,
  ) {
    super(child, dir);
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
    const nginx = new NginxProcess(
      DaemonProcess.spawn('nginx', ['-p', dir, '-e', 'stderr', '-c', config, '-g', 'daemon off;']),
      dir,
      port,
    );
    await nginx.listening('nginx', [port]);
    return nginx;
  }
}
