import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import type { ServerProcess } from './server-process';
import { stopChildren } from './child-processes';
import { waitFor } from './wait';

/**
 * The port on which Pebble validates HTTP-01 challenges for a server: its public HTTP listener,
 * where the dispatcher hands `/.well-known/acme-challenge/*` on every host to the challenge route.
 */
export const challengePortOf = (server: ServerProcess): number => server.httpPort;

/**
 * Let's Encrypt's test CA (Debian's `pebble`) plus `pebble-challtestsrv` as its DNS server, which
 * resolves every name to 127.0.0.1. Two steps because the servers under test need the directory URL
 * and CA bundle before they start, while Pebble needs the port it validates challenges on:
 * `Pebble.prepare()`, start the servers, then `pebble.start(challengePort)`.
 */
export class Pebble {
  private readonly children: ChildProcess[] = [];
  private output = '';

  private constructor(
    readonly dir: string,
    readonly acmePort: number,
    readonly managementPort: number,
    readonly dnsPort: number,
    readonly challengeManagementPort: number,
  ) {}

  static async prepare(): Promise<Pebble> {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-test-pebble-'));
    const pebble = new Pebble(dir, await freePort(), await freePort(), await freePort(), await freePort());
    // Pebble's own HTTPS certificate (the package ships none): self-signed for localhost / 127.0.0.1.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return pebble;
  }

  get directoryUrl(): string {
    return `https://127.0.0.1:${this.acmePort}/dir`;
  }

  /** PEM that verifies Pebble's ACME endpoint (what the server gets as ACME_CA_BUNDLE). */
  get caBundlePath(): string {
    return join(this.dir, 'cert.pem');
  }

  /** Environment for a server that orders from this Pebble. */
  get serverEnv(): Record<string, string> {
    return {
      ACME_DIRECTORY_URL: this.directoryUrl,
      ACME_STAGING_URL: this.directoryUrl,
      ACME_CA_BUNDLE: this.caBundlePath,
      ACME_SKIP_CHALLENGE_VERIFICATION: 'true',
    };
  }

  get logs(): string {
    return this.output;
  }

  async start(challengePort: number): Promise<void> {
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${this.acmePort}`,
        managementListenAddress: `127.0.0.1:${this.managementPort}`,
        certificate: join(this.dir, 'cert.pem'),
        privateKey: join(this.dir, 'key.pem'),
        httpPort: challengePort,
        tlsPort: await freePort(),
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    };
    writeFileSync(join(this.dir, 'pebble.json'), JSON.stringify(config));
    this.spawnDns();
    // No sleeps before validation, no reused authorizations (each order really validates), no nonce noise.
    this.spawn(
      'pebble',
      ['-config', join(this.dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${this.dnsPort}`, '-strict=false'],
      {
        PEBBLE_VA_NOSLEEP: '1',
        PEBBLE_AUTHZREUSE: '0',
        PEBBLE_WFE_NONCEREJECT: '0',
      },
    );
    await waitFor(
      'pebble to serve its ACME directory (value: the status)',
      async () => (await this.get(this.directoryUrl)).status,
      (status) => status === 200,
      {
        timeoutMs: 20_000,
        intervalMs: 200,
        details: () => `pebble output:\n${this.output}`,
      },
    );
  }

  /**
   * Only the DNS server (`pebble-challtestsrv`), for suites that need names resolving to 127.0.0.1
   * without touching the machine's resolver: `127.0.0.1:<dnsPort>`, ready when this returns.
   */
  async startDns(): Promise<void> {
    this.spawnDns();
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${this.dnsPort}`]);
    await waitFor(
      'pebble-challtestsrv to answer DNS',
      () => resolver.resolve4('ready.example.test'),
      (addresses) => addresses.includes('127.0.0.1'),
      { timeoutMs: 20_000, intervalMs: 100, details: () => this.output },
    );
  }

  private spawnDns(): void {
    this.spawn(
      'pebble-challtestsrv',
      [
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-dns01',
        `127.0.0.1:${this.dnsPort}`,
        '-management',
        `127.0.0.1:${this.challengeManagementPort}`,
        '-defaultIPv4',
        '127.0.0.1',
        '-defaultIPv6',
        '',
      ],
      {},
    );
  }

  /** The root that signs issued certificates (new at every Pebble start). */
  async root(): Promise<string> {
    const res = await this.get(`https://127.0.0.1:${this.managementPort}/roots/0`);
    if (res.status !== 200) throw new Error(`pebble root: HTTP ${res.status}`);
    return res.body;
  }

  async stop(): Promise<void> {
    await stopChildren(this.children, 'SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(command: string, args: string[], env: Record<string, string>): void {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.children.push(child);
  }

  private get(url: string): Promise<{ status: number; body: string }> {
    const ca = readFileSync(this.caBundlePath);
    return new Promise((resolve, reject) => {
      const req = request(url, { ca, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  }
}
