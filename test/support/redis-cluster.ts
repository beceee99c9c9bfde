import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeLowPort } from './ports';
import { waitForPort } from './redis-server';
import { stopChildren } from './child-processes';
import { waitFor } from './wait';

const run = promisify(execFile);

/**
 * A six-node Redis Cluster on loopback (three primaries, one replica each): `redis-server
 * --cluster-enabled yes` per node, then `redis-cli --cluster create ... --cluster-replicas 1
 * --cluster-yes`. Throw-away: no persistence, temp dir removed on stop. Start it once per suite.
 */
export class RedisCluster {
  private readonly children: ChildProcess[] = [];

  private constructor(
    private readonly dir: string,
    readonly ports: number[],
  ) {}

  static async start(): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-test-cluster-'));
    // Client ports and cluster-bus ports (--cluster-port, else port + 10000 which may be taken), all distinct.
    const taken = new Set<number>();
    const pick = () => freeLowPort(taken);
    const ports: number[] = [];
    const busPorts: number[] = [];
    for (let i = 0; i < 6; i++) {
      ports.push(await pick());
      busPorts.push(await pick());
    }
    const cluster = new RedisCluster(dir, ports);
    for (const [i, port] of ports.entries()) {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      cluster.children.push(
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            nodeDir,
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(nodeDir, 'nodes.conf'),
            '--cluster-node-timeout',
            '2000',
            '--cluster-port',
            String(busPorts[i]),
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    await Promise.all(ports.map((port) => waitForPort(port, 10_000)));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    // Ready when every node says the cluster is up and knows the five others over the cluster bus
    // (PUBLISH is broadcast over that bus: a node that has not met another yet would not forward to it).
    // (value: per node, its cluster_state and the peers it does not yet see as connected)
    await waitFor(
      'every cluster node to report cluster_state:ok and five connected peers',
      () =>
        Promise.all(
          ports.map(async (port) => {
            const info = (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout;
            const nodes = (await run('redis-cli', ['-p', String(port), 'cluster', 'nodes'])).stdout.trim().split('\n');
            const notConnected = nodes
              .filter((line) => !/ connected/.test(line) || /handshake|noaddr|fail/.test(line))
              .map((line) => line.split(' ').slice(1, 3).join(' '));
            return { port, state: /cluster_state:(\w+)/.exec(info)?.[1], nodes: nodes.length, notConnected };
          }),
        ),
      (states) => states.every((s) => s.state === 'ok' && s.nodes === 6 && s.notConnected.length === 0),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    return cluster;
  }

  /** Environment for a server using this cluster (seed nodes: all of them). */
  get serverEnv(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.ports.map((p) => `127.0.0.1:${p}`).join(',') };
  }

  get nodes(): { host: string; port: number }[] {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  async stop(): Promise<void> {
    await stopChildren(this.children, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
