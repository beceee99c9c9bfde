import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freeLowPort } from './ports';
import { waitForPort } from './redis-server';
import { stopChildren } from './child-processes';
import { waitFor } from './wait';

export const SENTINEL_MASTER_NAME = 'proxymaster';

/**
 * A Redis Sentinel deployment on loopback: two `redis-server`s (a primary and its replica) and one
 * `redis-sentinel` (Debian package) monitoring them with quorum 1 and a 1 s down-after, so a killed
 * primary is replaced within a few seconds. Throw-away: no persistence, temp dir removed on stop.
 */
export class RedisSentinelSetup {
  private readonly children = new Map<number, ChildProcess>();

  private constructor(
    private readonly dir: string,
    readonly serverPorts: [number, number],
    readonly sentinelPort: number,
  ) {}

  static async start(): Promise<RedisSentinelSetup> {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-test-sentinel-'));
    const taken = new Set<number>();
    const setup = new RedisSentinelSetup(
      dir,
      [await freeLowPort(taken), await freeLowPort(taken)],
      await freeLowPort(taken),
    );
    const [primary, replica] = setup.serverPorts;
    setup.spawnServer(primary, []);
    await waitForPort(primary, 10_000);
    setup.spawnServer(replica, ['--replicaof', '127.0.0.1', String(primary)]);
    await waitForPort(replica, 10_000);
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${setup.sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primary} 1`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    setup.children.set(setup.sentinelPort, spawn('redis-sentinel', [config], { stdio: 'ignore' }));
    await waitForPort(setup.sentinelPort, 10_000);
    // Ready when the replica is in sync and the sentinel knows it (else a failover has no candidate).
    await waitFor(
      'the replica in sync and known to the sentinel',
      async () => ({
        masterLink: /master_link_status:(\w+)/.exec(String(await setup.command(replica, 'INFO', 'replication')))?.[1],
        replicasKnownToSentinel: (
          (await setup.command(setup.sentinelPort, 'SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME)) as unknown[]
        ).length,
      }),
      (state) => state.masterLink === 'up' && state.replicasKnownToSentinel === 1,
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    return setup;
  }

  /** Environment for a server using this deployment. */
  get serverEnv(): Record<string, string> {
    return { REDIS_SENTINELS: `127.0.0.1:${this.sentinelPort}`, REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME };
  }

  /** The port of the current primary, as the sentinel reports it. */
  async primaryPort(): Promise<number> {
    const [, port] = (await this.command(
      this.sentinelPort,
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      SENTINEL_MASTER_NAME,
    )) as [string, string];
    return Number(port);
  }

  /** Kills the current primary (SIGKILL) and waits until the sentinel has promoted the replica. */
  async killPrimary(): Promise<{ old: number; promoted: number }> {
    const old = await this.primaryPort();
    const child = this.children.get(old);
    await new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.children.delete(old);
    const promoted = await waitFor(
      `the sentinel to promote the replica (value: the primary port it reports; ${old} was killed)`,
      () => this.primaryPort(),
      (port) => port !== old,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await waitFor(
      `the promoted replica on port ${promoted} to accept writes (value: its role)`,
      async () => /role:(\w+)/.exec(String(await this.command(promoted, 'INFO', 'replication')))?.[1],
      (role) => role === 'master',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    return { old, promoted };
  }

  /** Runs one command on a port of this setup. */
  async command(port: number, ...args: (string | number)[]): Promise<unknown> {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await client.connect();
      return await client.call(String(args[0]), ...args.slice(1));
    } finally {
      client.disconnect();
    }
  }

  async stop(): Promise<void> {
    await stopChildren(this.children.values(), 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawnServer(port: number, extra: string[]): void {
    const dir = join(this.dir, String(port));
    mkdirSync(dir);
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extra,
    ];
    this.children.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
  }
}
