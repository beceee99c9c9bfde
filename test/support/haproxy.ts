import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess } from './daemon-process';
import { freePort } from './ports';

/** Debian's haproxy in TCP mode in front of a PROXY protocol listener: one frontend per PROXY version. */
export class HaproxyProcess extends DaemonProcess {
  private constructor(
    child: ChildProcess,
    dir: string,
    readonly v1Port: number,
    readonly v2Port: number,
  ) {
    super(child, dir);
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
    const haproxy = new HaproxyProcess(DaemonProcess.spawn('haproxy', ['-f', config, '-db']), dir, v1Port, v2Port);
    await haproxy.listening('haproxy', [v1Port, v2Port]);
    return haproxy;
  }
}
