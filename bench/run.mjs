#!/usr/bin/env node
// The benchmark suite (`npm run bench`): backend reached directly, nginx as a keep-alive reverse
// proxy, and the built server, side by side in one run on loopback. Prints a table and writes
// bench/results/latest.{json,md}. `--smoke` runs every scenario briefly (the npm test smoke test);
// `--only=a,b` picks scenarios. Bounded loops only; nothing leaves 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { ensureBuilt, ensureCommands, ensureNodeModules, root, SERVER_NODE_FLAGS } from '../scripts/lib/system.mjs';

const argv = process.argv.slice(2);
const SMOKE = argv.includes('--smoke');
const ONLY = (argv.find((a) => a.startsWith('--only=')) ?? '').slice(7).split(',').filter(Boolean);
const OUT = (argv.find((a) => a.startsWith('--out=')) ?? '').slice(6) || join(root, 'bench', 'results');
const P = SMOKE
  ? {
      duration: 1,
      connections: 10,
      sse: 50,
      broadcasts: 2,
      wsMessages: 50,
      propagation: 5,
      targets: 200,
      routes: 20,
      bigConnections: 2,
      filterEvents: 200,
      streamEvents: 10,
    }
  : {
      duration: 8,
      connections: 50,
      sse: 2000,
      broadcasts: 5,
      wsMessages: 2000,
      propagation: 100,
      targets: 10_000,
      routes: 1000,
      bigConnections: 4,
      filterEvents: 50_000,
      streamEvents: 500,
    };
if (process.env.BENCH_DURATION) P.duration = Number(process.env.BENCH_DURATION);
// BENCH_WORKERS=N: nginx with N worker processes and ours with WORKERS=N (default 1 each: one core each).
const WORKERS = Math.max(1, Number(process.env.BENCH_WORKERS ?? 1));
const HOST = 'bench.example.test';
const ADMIN = `acm_bench_${randomBytes(12).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'proxy-bench-'));
const children = [];
const log = (...a) => console.error('[bench]', ...a);
// The OAuth signing key of every server the bench starts (as in production: configured, not generated
// at boot), so the bench can mint access tokens the servers accept.
const AUTH_HOSTNAME = 'auth.example.test';
const ISSUER = `https://${AUTH_HOSTNAME}`;
const SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
/** RFC 7638 thumbprint of the public key: the `kid` the server derives from it and publishes at /jwks. */
const KID = (() => {
  const { e, n } = SIGNING_KEY.export({ format: 'jwk' });
  return createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
})();

// ---------------------------------------------------------------------------------------------
// processes

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Whatever ends this process (an error, a signal, a closed stdout pipe), its servers, nginx and
// backends must not outlive it: kill what is still running on exit.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && !child.signalCode) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));
process.stdout.on('error', () => process.exit(1));

function start(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(child);
  child.output = '';
  child.stdout.on('data', (d) => (child.output += d));
  child.stderr.on('data', (d) => (child.output += d));
  return child;
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
}

function ownRssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return NaN;
  }
}
const childPids = (pid) =>
  spawnSync('pgrep', ['-P', String(pid)])
    .stdout.toString()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(Number);
/** RSS of a process; with `children`, of its child processes instead (nginx's workers, ours' WORKERS > 1). */
function rssKiB(pid, children = false) {
  if (!children) return ownRssKiB(pid);
  return childPids(pid).reduce((sum, child) => sum + ownRssKiB(child), 0);
}
/** Ours: the server process, or the sum of its workers (the primary only supervises) when WORKERS > 1. */
const oursRssKiB = (pid) => (WORKERS > 1 ? rssKiB(pid, true) + ownRssKiB(pid) : ownRssKiB(pid));

async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error.message === 'server exited') throw error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function get(port, path, host, options = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        agent: options.agent ?? agent,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function startRedis() {
  const port = await freePort();
  const dir = join(work, `redis-${port}`);
  mkdirSync(dir);
  start('redis-server', [
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
  ]);
  const url = `redis://127.0.0.1:${port}`;
  await until('redis', () =>
    spawnSync('redis-cli', ['-p', String(port), 'ping'])
      .stdout.toString()
      .includes('PONG'),
  );
  return { port, url };
}

async function startBackend() {
  const child = start(process.execPath, [join(root, 'bench', 'backend.mjs')]);
  await until('backend', () => /^\d+/.test(child.output));
  return { child, port: Number(child.output.trim().split('\n')[0]) };
}

function makeCertificate() {
  const key = join(work, 'cert.key');
  const cert = join(work, 'cert.pem');
  spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${HOST}`,
      '-addext',
      `subjectAltName=DNS:${HOST},DNS:*.example.test`,
    ],
    { stdio: 'ignore' },
  );
  return { key, cert };
}

async function startNginx(backendPort, certificate) {
  const port = await freePort();
  const tlsPort = await freePort();
  // The same proxy with nginx's access log on (its default, one line written per request): ours
  // records every request too (the request log), so this is the like-for-like reference.
  const loggingPort = await freePort();
  const dir = join(work, 'nginx');
  mkdirSync(dir, { recursive: true });
  const location = `    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
      proxy_read_timeout 300s;
    }`;
  const conf = `
user root;
worker_processes ${WORKERS};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 10000; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    listen 127.0.0.1:${tlsPort} ssl;
    server_name ${HOST};
    ssl_certificate ${certificate.cert};
    ssl_certificate_key ${certificate.key};
    keepalive_requests 100000;
${location}
  }
  server {
    listen 127.0.0.1:${loggingPort};
    server_name ${HOST};
    keepalive_requests 100000;
    access_log ${dir}/access.log;
${location}
  }
}`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = start('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);
  await until('nginx', async () => (await get(port, '/small', HOST)).status === 200);
  return { child, port, tlsPort, loggingPort };
}

async function startServer(redisUrl, prefix, extraEnv = {}) {
  const [apiPort, httpPort, httpsPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    ADMIN_TOKEN: ADMIN,
    API_PORT: String(apiPort),
    API_BIND: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    HTTPS_PORT: String(httpsPort),
    PROXY_PROTOCOL_PORT: '0',
    PUBLIC_BIND: '127.0.0.1',
    BASE_DOMAIN: 'example.test',
    LOG_LEVEL: 'warn',
    STORAGE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUTO_CERTIFICATES: 'false',
    ACME_DIRECTORY_URL: 'https://127.0.0.1:9/directory',
    ACME_STAGING_URL: 'https://127.0.0.1:9/directory',
    AUTH_HOSTNAME,
    OAUTH_ISSUER: ISSUER,
    OAUTH_JWT_PRIVATE_KEY_B64: Buffer.from(SIGNING_KEY.export({ type: 'pkcs8', format: 'pem' })).toString('base64'),
    WORKERS: String(WORKERS),
    ...extraEnv,
  };
  const startedAt = performance.now();
  const args = [
    ...SERVER_NODE_FLAGS,
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    join(root, 'dist', 'apps', 'server', 'main.js'),
  ];
  const child = start(process.execPath, args, { env, cwd: work });
  const server = { child, apiPort, httpPort, httpsPort, prefix, redisUrl, startedAt };
  // With WORKERS > 1, until every worker has answered /health (fresh connections reach any of them).
  const pids = new Set();
  await until(
    'server',
    async () => {
      if (child.exitCode !== null) throw new Error('server exited');
      // A fresh connection each time: a kept-alive one would always reach the same worker.
      const health = await get(apiPort, '/health', '127.0.0.1', { agent: false });
      if (health.status === 200) pids.add(JSON.parse(health.text).worker?.pid ?? 0);
      return pids.size >= WORKERS;
    },
    60_000,
  ).catch((e) => {
    throw new Error(`${e.message}\n${child.output.slice(-3000)}`);
  });
  return server;
}

function api(server, method, path, body) {
  return get(server.apiPort, path, '127.0.0.1', {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).then((r) => ({ status: r.status, body: r.text ? JSON.parse(r.text) : null }));
}

async function addTarget(server, hostname, target_url) {
  const res = await api(server, 'POST', '/api/v1/proxy/targets', { hostname, target_url });
  if (res.status !== 201) throw new Error(`create target ${hostname}: ${res.status} ${JSON.stringify(res.body)}`);
}

// ---------------------------------------------------------------------------------------------
// measurements

async function wrk(
  url,
  { host = HOST, connections = P.connections, duration = P.duration, threads = 1, headers = [], script } = {},
) {
  const extra = [...headers.flatMap((h) => ['-H', h]), ...(script ? ['-s', script] : [])];
  const child = spawn(
    'wrk',
    [
      `-t${threads}`,
      `-c${connections}`,
      `-d${duration}s`,
      '--timeout',
      '10s',
      '--latency',
      '-H',
      `Host: ${host}`,
      ...extra,
      url,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((resolve) => child.once('close', resolve));
  const ms = (label) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const bytes = (() => {
    const m = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
    return m ? Number(m[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2]] : NaN;
  })();
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const socketErrors = /Socket errors: (.*)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50_ms: ms(50),
    p99_ms: ms(99),
    mib_per_s: bytes / 1024 ** 2,
    non_2xx: errors ? Number(errors[1]) : 0,
    ...(socketErrors ? { socket_errors: socketErrors[1] } : {}),
  };
}

/** Runs `fn` while sampling `measure()` (an RSS in KiB) every 50 ms; returns [result, peak KiB]. */
async function withPeakRss(measure, fn) {
  let peak = measure();
  const timer = setInterval(() => (peak = Math.max(peak, measure())), 50);
  try {
    const result = await fn();
    return [result, peak];
  } finally {
    clearInterval(timer);
  }
}

function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (v, d = 2) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);

/** Opens `count` idle SSE streams to port; resolves with the handles once every one got its first bytes. */
async function openStreams(port, count, host) {
  const streams = [];
  const latencies = [];
  let opened = 0;
  await new Promise((resolve, reject) => {
    for (let i = 0; i < count; i++) {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/sse', headers: { host, accept: 'text/event-stream' }, agent: false },
        (res) => {
          res.setEncoding('utf8');
          let first = true;
          res.on('data', (text) => {
            if (first) {
              first = false;
              if (++opened === count) resolve();
            }
            for (const m of text.matchAll(/data: ([\d.]+)/g))
              latencies.push(performance.timeOrigin + performance.now() - Number(m[1]));
          });
          res.on('error', () => {});
        },
      );
      req.on('error', reject);
      req.end();
      streams.push(req);
    }
  });
  return { streams, latencies, close: () => streams.forEach((r) => r.destroy()) };
}

// ---------------------------------------------------------------------------------------------
// scenarios

const scenarios = {};
const results = { date: new Date().toISOString(), smoke: SMOKE, machine: {}, scenarios: {} };

/**
 * Runs each wrk measurement of `runners` in interleaved rounds (the order rotates every round), after
 * one warm-up run each that is not counted (the JIT compiles the data path in the first seconds; nginx
 * needs none, so a cold start would measure the compiler, not the proxy). On a shared machine the
 * load changes within seconds; interleaving makes every change hit all of them, and the comparison
 * is the median of the per-round ratios. Per runner: the median rps / p50 / p99 of the rounds.
 */
async function interleaved(
  runners,
  { rounds = SMOKE ? 1 : 4, duration = Math.max(1, Math.round(P.duration / 2)) } = {},
) {
  const names = Object.keys(runners);
  if (!SMOKE) for (const name of names) await runners[name](Math.min(2, duration));
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
      runs[name].push(await runners[name](duration));
    }
  }
  const summary = Object.fromEntries(
    names.map((n) => [
      n,
      {
        rps: round(median(runs[n].map((r) => r.rps))),
        p50_ms: round(median(runs[n].map((r) => r.p50_ms))),
        p99_ms: round(median(runs[n].map((r) => r.p99_ms))),
        non_2xx: runs[n].reduce((a, r) => a + r.non_2xx, 0),
        runs_rps: runs[n].map((r) => round(r.rps)),
        runs_p99_ms: runs[n].map((r) => round(r.p99_ms)),
      },
    ]),
  );
  /** Median over rounds of a[i].metric / b[i].metric. */
  const ratio = (a, b, metric = 'rps') => round(median(runs[a].map((r, i) => r[metric] / runs[b][i][metric])));
  const roundRatios = (a, b, metric = 'rps') => runs[a].map((r, i) => round(r[metric] / runs[b][i][metric]));
  return { summary, ratio, roundRatios, rounds };
}

scenarios['small-get'] = async ({ backend, nginx, ours }) => {
  const m = await interleaved({
    direct: (duration) => wrk(`http://127.0.0.1:${backend.port}/small`, { duration }),
    nginx: (duration) => wrk(`http://127.0.0.1:${nginx.port}/small`, { duration }),
    nginx_access_log: (duration) => wrk(`http://127.0.0.1:${nginx.loggingPort}/small`, { duration }),
    ours: (duration) => wrk(`http://127.0.0.1:${ours.httpPort}/small`, { duration }),
  });
  return {
    ...m.summary,
    rounds: m.rounds,
    ratio_rps_vs_nginx_access_log: m.ratio('ours', 'nginx_access_log'),
    ratio_p99_vs_nginx_access_log: m.ratio('ours', 'nginx_access_log', 'p99_ms'),
    ratio_rps_vs_nginx: m.ratio('ours', 'nginx'),
    ratio_p99_vs_nginx: m.ratio('ours', 'nginx', 'p99_ms'),
    round_ratios_rps_vs_nginx: m.roundRatios('ours', 'nginx'),
    round_ratios_p99_vs_nginx: m.roundRatios('ours', 'nginx', 'p99_ms'),
    ratio_rps_vs_direct: m.ratio('ours', 'direct'),
  };
};

scenarios['stream-1mib'] = async ({ backend, nginx, ours }) => {
  const opts = { connections: P.bigConnections };
  const row = {};
  row.direct = await wrk(`http://127.0.0.1:${backend.port}/1mib`, opts);
  const [n, nPeak] = await withPeakRss(
    () => rssKiB(nginx.child.pid, true),
    () => wrk(`http://127.0.0.1:${nginx.port}/1mib`, opts),
  );
  row.nginx = { ...n, peak_rss_mib: round(nPeak / 1024) };
  const before = oursRssKiB(ours.child.pid);
  const [o, oPeak] = await withPeakRss(
    () => oursRssKiB(ours.child.pid),
    () => wrk(`http://127.0.0.1:${ours.httpPort}/1mib`, opts),
  );
  row.ours = { ...o, rss_before_mib: round(before / 1024), peak_rss_mib: round(oPeak / 1024) };
  return row;
};

/** An RS256 access token as the server's token endpoint issues it (the claims AccessTokenVerifier checks). */
function mintAccessToken(claims) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: KID })}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(SIGNING_KEY).toString('base64url')}`;
}

scenarios['auth'] = async ({ backend, ours }) => {
  // Two targets to the same backend: one open, one protected (forward mode, a registered resource
  // with a scope, any signed-in user). wrk sends the same valid token on every request.
  const openHost = 'open.example.test';
  const authHost = 'protected.example.test';
  const controlHost = 'control.example.test';
  for (const h of [openHost, authHost]) await addTarget(ours, h, `http://127.0.0.1:${backend.port}`);
  const auth = await api(ours, 'POST', `/api/v1/proxy/targets/${authHost}/auth`, {
    enabled: true,
    mode: 'forward',
    required_users: ['*'],
  });
  if (auth.status !== 200) throw new Error(`set auth: ${auth.status} ${JSON.stringify(auth.body)}`);
  const resource = await api(ours, 'POST', `/api/v1/proxy/targets/${authHost}/resource`, {
    endpoint: '/',
    scopes: ['mcp:read'],
  });
  if (resource.status !== 200) throw new Error(`set resource: ${resource.status} ${JSON.stringify(resource.body)}`);
  const jwks = await api(ours, 'GET', '/jwks');
  if (jwks.body?.keys?.[0]?.kid !== KID)
    throw new Error(`the server publishes kid ${jwks.body?.keys?.[0]?.kid}, the bench computed ${KID}`);
  const now = Math.floor(Date.now() / 1000);
  const token = mintAccessToken({
    iss: ISSUER,
    sub: '4242',
    aud: resource.body.uri,
    scope: 'mcp:read mcp:write',
    client_id: 'bench-client',
    exp: now + 3600,
    iat: now,
    jti: randomBytes(16).toString('hex'),
    login: 'bench-user',
  });
  const bearer = `authorization: Bearer ${token}`;
  await until('open target served', async () => (await get(ours.httpPort, '/small', openHost)).status === 200);
  let withToken;
  await until(
    'protected target accepts the token',
    async () =>
      (withToken = await get(ours.httpPort, '/small', authHost, { headers: { authorization: `Bearer ${token}` } }))
        .status === 200,
    10_000,
  ).catch((e) => {
    throw new Error(`${e.message}: last answer ${withToken?.status} ${withToken?.text}`);
  });
  const withoutToken = await get(ours.httpPort, '/small', authHost);
  if (withoutToken.status !== 401)
    throw new Error(`the protected target answered ${withoutToken.status} without a token`);
  // Control: an open target that moves the same bytes as the protected one (the client sends the
  // same Authorization header; the backend gets the same identity headers, the client the same CORS
  // headers, set as the target's custom headers), so protected vs control is the auth logic alone.
  const identity = {
    'X-Auth-User-Id': '4242',
    'X-Auth-User-Name': 'bench-user',
    'X-Auth-Scopes': 'mcp:read mcp:write',
    'X-Auth-Client-Id': 'bench-client',
    authorization: '-',
  };
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id',
  };
  const control = await api(ours, 'POST', '/api/v1/proxy/targets', {
    hostname: controlHost,
    target_url: `http://127.0.0.1:${backend.port}`,
    custom_headers: identity,
    custom_response_headers: cors,
  });
  if (control.status !== 201)
    throw new Error(`create target ${controlHost}: ${control.status} ${JSON.stringify(control.body)}`);
  await until('control target served', async () => (await get(ours.httpPort, '/small', controlHost)).status === 200);
  const row = {
    resource: resource.body.uri,
    status_with_token: withToken.status,
    status_without_token: withoutToken.status,
  };
  // Interleaved rounds (see interleaved()) so a load change on the machine hits all three; the
  // ratio is the median of the per-round ratios.
  const url = `http://127.0.0.1:${ours.httpPort}/small`;
  // "The same target open" gets the same requests, token included (the open target passes the
  // Authorization header on): the ratio is what checking the token costs. The open target without
  // the header is measured too (the ~800 bytes of a JWT on every request are not the auth's doing).
  const m = await interleaved({
    open: (duration) => wrk(url, { host: openHost, duration, headers: [bearer] }),
    open_without_token: (duration) => wrk(url, { host: openHost, duration }),
    protected: (duration) => wrk(url, { host: authHost, duration, headers: [bearer] }),
    control: (duration) => wrk(url, { host: controlHost, duration, headers: [bearer] }),
  });
  row.open = m.summary.open;
  row.open_without_token = m.summary.open_without_token;
  row.protected = m.summary.protected;
  row.control_same_bytes = m.summary.control;
  row.round_ratios = m.roundRatios('protected', 'open');
  row.ratio = m.ratio('protected', 'open');
  row.ratio_p99 = m.ratio('protected', 'open', 'p99_ms');
  row.ratio_vs_open_without_token = m.ratio('protected', 'open_without_token');
  row.ratio_vs_control = m.ratio('protected', 'control');
  return row;
};

/**
 * The MCP policy row (issue 18): a protected `tools/call` through a target whose resource has a
 * policy vs the same set-up without one. Both targets are protected the same way and both POSTs
 * are read as JSON-RPC (authenticated POSTs to an MCP endpoint), so the ratio is the policy's
 * decision alone. The policy has a few rules; the call matches the last one.
 */
scenarios['mcp-policy'] = async ({ backend, ours }) => {
  const governedHost = 'governed.example.test';
  const plainHost = 'ungoverned.example.test';
  const uris = {};
  for (const h of [governedHost, plainHost]) {
    await addTarget(ours, h, `http://127.0.0.1:${backend.port}`);
    const auth = await api(ours, 'POST', `/api/v1/proxy/targets/${h}/auth`, { mode: 'forward', required_users: ['*'] });
    if (auth.status !== 200) throw new Error(`set auth ${h}: ${auth.status} ${JSON.stringify(auth.body)}`);
    const resource = await api(ours, 'POST', `/api/v1/proxy/targets/${h}/resource`, {
      endpoint: '/mcp',
      scopes: ['mcp:read'],
    });
    if (resource.status !== 200)
      throw new Error(`set resource ${h}: ${resource.status} ${JSON.stringify(resource.body)}`);
    uris[h] = resource.body;
  }
  const policy = {
    rules: [
      { id: 'no-shell', method: 'tools/call', name: 'shell', deny: true },
      { id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] },
      { id: 'admin', method: 'tools/call', name: 'admin_*', users: ['bench-admin'] },
      { id: 'prompts', method: 'prompts/*', scopes: ['mcp:read'] },
      { id: 'reads', method: 'tools/call', name: 'echo', scopes: ['mcp:read'] },
    ],
  };
  await setPolicy(ours, uris[governedHost].id, policy);
  const token = (aud) => {
    const now = Math.floor(Date.now() / 1000);
    return mintAccessToken({
      iss: ISSUER,
      sub: '4242',
      aud,
      scope: 'mcp:read',
      client_id: 'bench-client',
      exp: now + 3600,
      iat: now,
      jti: randomBytes(16).toString('hex'),
      login: 'bench-user',
    });
  };
  const call = (name) =>
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { text: 'hi' } } });
  const send = (host, name) =>
    get(ours.httpPort, '/mcp', host, {
      method: 'POST',
      headers: { authorization: `Bearer ${token(uris[host].uri)}`, 'content-type': 'application/json' },
      body: call(name),
    });
  await until('the policy is served', async () => (await send(governedHost, 'shell')).status === 403, 10_000);
  const checks = {
    governed_allowed: (await send(governedHost, 'echo')).status,
    governed_denied: (await send(governedHost, 'shell')).status,
    ungoverned: (await send(plainHost, 'shell')).status,
  };
  if (checks.governed_allowed !== 200 || checks.ungoverned !== 200)
    throw new Error(`unexpected answers: ${JSON.stringify(checks)}`);
  const script = join(work, 'mcp-call.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.body = '${call('echo')}'
wrk.headers["Content-Type"] = "application/json"
`,
  );
  const url = `http://127.0.0.1:${ours.httpPort}/mcp`;
  const bearers = Object.fromEntries(
    [governedHost, plainHost].map((h) => [h, `authorization: Bearer ${token(uris[h].uri)}`]),
  );
  const m = await interleaved({
    governed: (duration) => wrk(url, { host: governedHost, duration, script, headers: [bearers[governedHost]] }),
    ungoverned: (duration) => wrk(url, { host: plainHost, duration, script, headers: [bearers[plainHost]] }),
  });
  return {
    checks,
    rules: policy.rules.length,
    governed: m.summary.governed,
    ungoverned: m.summary.ungoverned,
    round_ratios: m.roundRatios('governed', 'ungoverned'),
    ratio: m.ratio('governed', 'ungoverned'),
    ratio_p99: m.ratio('governed', 'ungoverned', 'p99_ms'),
  };
};

/**
 * The rate-limit row (issue 19): protected requests (a valid token) to a target with a per-user limit
 * that is never reached vs the same set-up without a limit. Both targets are protected the same way,
 * so the ratio is what the limit costs: the charge built, one script call to Redis, its answer.
 */
scenarios['rate-limit'] = async ({ backend, ours }) => {
  const limitedHost = 'limited.example.test';
  const plainHost = 'unlimited.example.test';
  const uris = {};
  for (const h of [limitedHost, plainHost]) {
    await addTarget(ours, h, `http://127.0.0.1:${backend.port}`);
    const auth = await api(ours, 'POST', `/api/v1/proxy/targets/${h}/auth`, { mode: 'forward', required_users: ['*'] });
    if (auth.status !== 200) throw new Error(`set auth ${h}: ${auth.status} ${JSON.stringify(auth.body)}`);
    const resource = await api(ours, 'POST', `/api/v1/proxy/targets/${h}/resource`, { endpoint: '/' });
    if (resource.status !== 200)
      throw new Error(`set resource ${h}: ${resource.status} ${JSON.stringify(resource.body)}`);
    uris[h] = resource.body.uri;
  }
  // The highest rate a limit can say (1,000,000 a minute, all at once): never reached in a run.
  const limits = [{ per: 'user', limit: 1_000_000, window: '1m' }];
  const put = await api(ours, 'PUT', `/api/v1/proxy/targets/${limitedHost}/rate-limits`, limits);
  if (put.status !== 200) throw new Error(`set rate limits: ${put.status} ${JSON.stringify(put.body)}`);
  const now = Math.floor(Date.now() / 1000);
  const token = (aud) =>
    mintAccessToken({
      iss: ISSUER,
      sub: '4242',
      aud,
      scope: 'mcp:read mcp:write',
      client_id: 'bench-client',
      exp: now + 3600,
      iat: now,
      jti: randomBytes(16).toString('hex'),
      login: 'bench-user',
    });
  const bearers = Object.fromEntries(
    [limitedHost, plainHost].map((h) => [h, `authorization: Bearer ${token(uris[h])}`]),
  );
  const send = (host) =>
    get(ours.httpPort, '/small', host, { headers: { authorization: bearers[host].slice('authorization: '.length) } });
  let answers = [];
  await until(
    'both targets accept the token',
    async () => (answers = await Promise.all([send(limitedHost), send(plainHost)])).every((r) => r.status === 200),
    10_000,
  ).catch((e) => {
    throw new Error(`${e.message}: last answers ${answers.map((r) => `${r.status} ${r.text}`).join(' | ')}`);
  });
  const url = `http://127.0.0.1:${ours.httpPort}/small`;
  const m = await interleaved({
    limited: (duration) => wrk(url, { host: limitedHost, duration, headers: [bearers[limitedHost]] }),
    unlimited: (duration) => wrk(url, { host: plainHost, duration, headers: [bearers[plainHost]] }),
  });
  if (m.summary.limited.non_2xx > 0) throw new Error(`the limit answered ${m.summary.limited.non_2xx} non-2xx`);
  return {
    limits,
    limited: m.summary.limited,
    unlimited: m.summary.unlimited,
    round_ratios: m.roundRatios('limited', 'unlimited'),
    ratio: m.ratio('limited', 'unlimited'),
    ratio_p99: m.ratio('limited', 'unlimited', 'p99_ms'),
  };
};

/**
 * Sets a resource's MCP policy through `PUT /api/v1/resources/{id}/policy`; a server without that
 * route yet gets it stored as the API stores it (the record's `policy`, with a config bump).
 */
async function setPolicy(server, id, policy) {
  const put = await api(server, 'PUT', `/api/v1/resources/${encodeURIComponent(id)}/policy`, policy);
  if (put.status === 200) return;
  if (put.status !== 404) throw new Error(`set policy: ${put.status} ${JSON.stringify(put.body)}`);
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(server.redisUrl);
  try {
    const key = (...parts) => [`{${server.prefix}}`, ...parts].join(':');
    const record = JSON.parse(await redis.get(key('resource', id)));
    const results = await redis
      .multi()
      .set(key('resource', id), JSON.stringify({ ...record, policy }))
      .incr(key('config', 'version'))
      .exec();
    await redis.publish(key('config', 'changed'), String(results[1][1]));
  } finally {
    redis.disconnect();
  }
}

scenarios['https-sni'] = async ({ nginx, ours }) => {
  const m = await interleaved({
    nginx: (duration) => wrk(`https://127.0.0.1:${nginx.tlsPort}/small`, { duration }),
    ours: (duration) => wrk(`https://127.0.0.1:${ours.httpsPort}/small`, { duration }),
  });
  return {
    ...m.summary,
    rounds: m.rounds,
    ratio_rps_vs_nginx: m.ratio('ours', 'nginx'),
    round_ratios_rps_vs_nginx: m.roundRatios('ours', 'nginx'),
    note: 'wrk sends SNI from the URL host (127.0.0.1 → none); both answer with an ECDSA P-256 certificate',
  };
};

scenarios['sse-idle'] = async ({ backend, nginx, ours, redis }) => {
  const row = {};
  // A fresh replica for ours: a process that just took a load test shrinks its heap meanwhile,
  // which would hide the streams' memory in the RSS difference.
  const fresh = await startServer(redis.url, ours.prefix);
  await until('fresh replica serves', async () => (await get(fresh.httpPort, '/small', HOST)).status === 200);
  for (const [name, port, measure] of [
    ['direct', backend.port, () => ownRssKiB(backend.child.pid)],
    ['nginx', nginx.port, () => rssKiB(nginx.child.pid, true)],
    ['ours', fresh.httpPort, () => oursRssKiB(fresh.child.pid)],
  ]) {
    await sleep(1000);
    const before = measure();
    const s = await openStreams(port, P.sse, HOST);
    await sleep(2000);
    const after = measure();
    for (let i = 0; i < P.broadcasts; i++) {
      await get(backend.port, '/broadcast', HOST);
      await sleep(200);
    }
    await sleep(300);
    s.close();
    row[name] = {
      streams: P.sse,
      kib_per_stream: round((after - before) / P.sse),
      event_latency_p50_ms: round(quantile(s.latencies, 0.5)),
      event_latency_p99_ms: round(quantile(s.latencies, 0.99)),
      events: s.latencies.length,
    };
    await until('streams closed', async () => (await get(backend.port, '/sse-count', HOST)).text === '0', 20_000);
  }
  await stop(fresh.child);
  return row;
};

scenarios['websocket-echo'] = async ({ backend, nginx, ours }) => {
  const row = {};
  for (const [name, port] of [
    ['direct', backend.port],
    ['nginx', nginx.port],
    ['ours', ours.httpPort],
  ]) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host: HOST } });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const payload = Buffer.alloc(64, 'p');
    const rtts = [];
    for (let i = 0; i < P.wsMessages; i++) {
      const t0 = performance.now();
      await new Promise((resolve) => {
        ws.once('message', resolve);
        ws.send(payload);
      });
      rtts.push(performance.now() - t0);
    }
    ws.close();
    row[name] = {
      messages: rtts.length,
      rtt_p50_ms: round(quantile(rtts, 0.5), 3),
      rtt_p99_ms: round(quantile(rtts, 0.99), 3),
    };
  }
  return row;
};

scenarios['propagation'] = async ({ backend, ours, replicaB }) => {
  const times = [];
  const afterWrite = [];
  const probe = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < P.propagation; i++) {
    const hostname = `prop-${i}.example.test`;
    const t0 = performance.now();
    await addTarget(ours, hostname, `http://127.0.0.1:${backend.port}`);
    const written = performance.now();
    for (let n = 0; ; n++) {
      const res = await get(replicaB.httpPort, '/small', hostname, { agent: probe });
      if (res.status === 200) break;
      if (n > 5000) throw new Error(`replica B never served ${hostname}`);
      await sleep(1);
    }
    times.push(performance.now() - t0);
    afterWrite.push(performance.now() - written);
    await sleep(20); // writes spaced out, as an operator makes them
  }
  return {
    writes: times.length,
    p50_ms: round(quantile(times, 0.5)),
    p99_ms: round(quantile(times, 0.99)),
    max_ms: round(Math.max(...times)),
    // from the API's 201 on A to B serving: the pub/sub + rebuild part alone
    after_write_p50_ms: round(quantile(afterWrite, 0.5)),
    after_write_p99_ms: round(quantile(afterWrite, 0.99)),
  };
};

scenarios['scale'] = async ({ backend, redis, ours }) => {
  // Fill a fresh key prefix with N targets and M routes straight in Redis (cloning records the API
  // wrote, so their format is the real one), then start a server on it and measure.
  const prefix = `bench-scale-${randomBytes(3).toString('hex')}`;
  const seed = await startServer(redis.url, prefix);
  await addTarget(seed, 't-0.example.test', `http://127.0.0.1:${backend.port}`);
  const route = await api(seed, 'POST', '/api/v1/routes', {
    path_pattern: '/r0/',
    target_type: 'url',
    target_value: `http://127.0.0.1:${backend.port}`,
  });
  if (route.status !== 201) throw new Error(`route: ${route.status} ${JSON.stringify(route.body)}`);
  await stop(seed.child);
  const cli = (args, input) =>
    spawnSync('redis-cli', ['-p', String(redis.port), ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  const targetJson = JSON.parse(cli(['GET', `{${prefix}}:proxy_target:t-0.example.test`]).stdout);
  const routeJson = JSON.parse(cli(['GET', `{${prefix}}:route:${route.body.route_id}`]).stdout);
  const commands = [];
  const resp = (...args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  for (let i = 1; i < P.targets; i++) {
    const hostname = `t-${i}.example.test`;
    commands.push(
      resp('SET', `{${prefix}}:proxy_target:${hostname}`, JSON.stringify({ ...targetJson, hostname })),
      resp('SADD', `{${prefix}}:proxy_targets`, hostname),
    );
  }
  for (let i = 1; i < P.routes; i++) {
    const id = `bench-route-${i}`;
    commands.push(
      resp(
        'SET',
        `{${prefix}}:route:${id}`,
        JSON.stringify({ ...routeJson, route_id: id, path_pattern: `/r${i}/`, created_seq: i + 1 }),
      ),
      resp('SADD', `{${prefix}}:routes`, id),
    );
  }
  const piped = cli(['--pipe'], commands.join(''));
  if (!/errors: 0/.test(piped.stdout))
    throw new Error(`loading the scale data set failed: ${piped.stdout}${piped.stderr}`);
  const host = `t-${Math.floor(P.targets / 2)}.example.test`;
  const big = await startServer(redis.url, prefix);
  await until('big table served', async () => (await get(big.httpPort, '/small', host)).status === 200, 60_000);
  const startupMs = performance.now() - big.startedAt;
  const oneTarget = await wrk(`http://127.0.0.1:${ours.httpPort}/small`);
  const many = await wrk(`http://127.0.0.1:${big.httpPort}/small`, { host });
  await stop(big.child);
  // Start-up of a server with one target, for comparison.
  const small = await startServer(redis.url, ours.prefix);
  await until('small table served', async () => (await get(small.httpPort, '/small', HOST)).status === 200, 60_000);
  const smallStartupMs = performance.now() - small.startedAt;
  await stop(small.child);
  return {
    targets: P.targets,
    routes: P.routes,
    one_target: { ...oneTarget, startup_ms: round(smallStartupMs, 0) },
    many_targets: { ...many, startup_ms: round(startupMs, 0) },
    ratio_rps: round(many.rps / oneTarget.rps),
  };
};

/**
 * The SSE list filter of MCP policies (libs/dispatcher/src/mcp/sse-list-filter.ts), loaded from its
 * TypeScript source (transpiled here: the server's build is one bundle), for timing it in-process.
 */
function loadSseListFilter() {
  const ts = createRequire(import.meta.url)('typescript');
  const dir = join(work, 'sse-list-filter');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}');
  for (const name of ['list-filtering', 'sse-list-filter']) {
    const source = readFileSync(join(root, 'libs/dispatcher/src/mcp', `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, `${name}.js`), outputText);
  }
  return createRequire(join(dir, 'index.js'))('./sse-list-filter.js').SseListFilter;
}

scenarios['sse-list-filter'] = async ({ backend, ours }) => {
  // 1. What filtering adds per event: the filter alone, fed the way a backend writes (one event per
  //    chunk): 9 progress notifications, then a tools/list answer (40 tools with input schemas, half
  //    hidden, so it is re-serialized), over and over. Without list filters nothing is parsed at all.
  const SseListFilter = loadSseListFilter();
  const tool = (i) => ({
    name: i % 2 ? `read_${i}` : `write_${i}`,
    description: `Tool number ${i}, which does something useful with its arguments.`,
    inputSchema: { type: 'object', properties: { path: { type: 'string' }, limit: { type: 'number' } } },
  });
  const lists = { byId: new Map([['1', { method: 'tools/list', keep: (name) => name.startsWith('read') }]]) };
  const progress = Buffer.from(
    `data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } })}\n\n`,
  );
  const answer = Buffer.from(
    `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { tools: Array.from({ length: 40 }, (_, i) => tool(i)) } })}\n\n`,
  );
  let filteredBytes = 0; // one answer through a filter of its own: proof that it was filtered
  new SseListFilter(lists, 1 << 20, { emit: (b) => (filteredBytes += b.length), dropped: () => {} }).push(answer);
  const filter = new SseListFilter(lists, 8 * 1024 * 1024, { emit: () => {}, dropped: () => {} });
  const notificationUs = [];
  const answerUs = [];
  const warmUp = P.filterEvents / 10; // not counted (JIT)
  for (let i = 0; i < warmUp + P.filterEvents; i++) {
    const isAnswer = i % 10 === 9;
    const t0 = process.hrtime.bigint();
    filter.push(isAnswer ? answer : progress);
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (i < warmUp) continue;
    (isAnswer ? answerUs : notificationUs).push(us);
  }
  const allUs = [...notificationUs, ...answerUs];
  // 2. The proxied per-event latency it adds to: one SSE stream, one event at a time (backend clock
  //    to client receipt), direct and through ours (no policy on the target: nothing filtered).
  const proxied = {};
  for (const [name, port] of [
    ['direct', backend.port],
    ['ours', ours.httpPort],
  ]) {
    const s = await openStreams(port, 1, HOST);
    for (let i = 0; i < P.streamEvents; i++) {
      await get(backend.port, '/broadcast', HOST);
      await sleep(2);
    }
    await until('events received', async () => s.latencies.length >= P.streamEvents, 10_000);
    s.close();
    proxied[name] = {
      events: s.latencies.length,
      event_latency_p50_ms: round(quantile(s.latencies, 0.5), 3),
      event_latency_p99_ms: round(quantile(s.latencies, 0.99), 3),
    };
    await until('stream closed', async () => (await get(backend.port, '/sse-count', HOST)).text === '0', 20_000);
  }
  return {
    events: allUs.length,
    answer_bytes: answer.length,
    answer_filtered_bytes: filteredBytes,
    transform_p50_us: round(quantile(allUs, 0.5), 1),
    transform_p99_us: round(quantile(allUs, 0.99), 1),
    transform_max_us: round(Math.max(...allUs), 1),
    notification_p99_us: round(quantile(notificationUs, 0.99), 1),
    list_answer_mean_us: round(answerUs.reduce((a, b) => a + b, 0) / answerUs.length, 1),
    list_answer_p50_us: round(quantile(answerUs, 0.5), 1),
    list_answer_p99_us: round(quantile(answerUs, 0.99), 1),
    proxied,
  };
};

// ---------------------------------------------------------------------------------------------
// report

function markdown(r) {
  const f = (v, unit = '') =>
    v === null || v === undefined || Number.isNaN(v)
      ? '–'
      : `${typeof v === 'number' ? Number(v.toFixed(2)) : v}${unit}`;
  const s = r.scenarios;
  const lines = [
    `Run ${r.date}${r.smoke ? ' (smoke: tiny sizes, numbers meaningless)' : ''} — ${r.machine.cpus}× ${r.machine.cpu}, load average before ${r.machine.loadavg_before.join(' / ')}, after ${(r.machine.loadavg_after ?? []).join(' / ')}; nginx worker_processes ${r.machine.workers ?? 1}, ours WORKERS=${r.machine.workers ?? 1}`,
    '',
  ];
  lines.push('| scenario | direct | nginx | ours | ours vs nginx |', '|---|---|---|---|---|');
  const add = (name, d, n, o, ratio) => lines.push(`| ${name} | ${d} | ${n} | ${o} | ${ratio} |`);
  if (s['small-get']?.ours) {
    const x = s['small-get'];
    const rounds = `median of ${x.rounds} interleaved rounds after a warm-up`;
    add(
      `small GET, ${P.connections} conns: req/s`,
      f(x.direct.rps),
      f(x.nginx.rps),
      f(x.ours.rps),
      `${f(x.ratio_rps_vs_nginx, '×')} (${rounds}: ${x.round_ratios_rps_vs_nginx.join(', ')})`,
    );
    add(
      'small GET: p50 / p99 ms',
      `${f(x.direct.p50_ms)} / ${f(x.direct.p99_ms)}`,
      `${f(x.nginx.p50_ms)} / ${f(x.nginx.p99_ms)}`,
      `${f(x.ours.p50_ms)} / ${f(x.ours.p99_ms)}`,
      `p99 ${f(x.ratio_p99_vs_nginx, '×')} (rounds: ${x.round_ratios_p99_vs_nginx.join(', ')})`,
    );
    if (x.nginx_access_log) {
      add(
        '… nginx with its access log on (ours logs every request too): req/s, p99 ms',
        '',
        `${f(x.nginx_access_log.rps)}, ${f(x.nginx_access_log.p99_ms)}`,
        `${f(x.ours.rps)}, ${f(x.ours.p99_ms)}`,
        `${f(x.ratio_rps_vs_nginx_access_log, '×')}, p99 ${f(x.ratio_p99_vs_nginx_access_log, '×')}`,
      );
    }
  }
  if (s['stream-1mib']?.ours) {
    const x = s['stream-1mib'];
    add(
      '1 MiB streamed: MiB/s',
      f(x.direct.mib_per_s),
      f(x.nginx.mib_per_s),
      f(x.ours.mib_per_s),
      f(x.ours.mib_per_s / x.nginx.mib_per_s, '×'),
    );
    add(
      '1 MiB streamed: peak RSS MiB',
      '',
      f(x.nginx.peak_rss_mib),
      `${f(x.ours.peak_rss_mib)} (idle ${f(x.ours.rss_before_mib)})`,
      '',
    );
  }
  if (s['mcp-policy']?.governed) {
    const x = s['mcp-policy'];
    add(
      `MCP tools/call, governed target (${x.rules} rules) vs the same without a policy: req/s`,
      '',
      '',
      `${f(x.governed.rps)} vs ${f(x.ungoverned.rps)}`,
      `${f(x.ratio, '×')} (median of ${x.round_ratios.length} interleaved rounds: ${x.round_ratios.join(', ')}); p99 ${f(x.governed.p99_ms)} vs ${f(x.ungoverned.p99_ms)} ms`,
    );
  }
  if (s['rate-limit']?.limited) {
    const x = s['rate-limit'];
    add(
      'protected requests, per-user limit configured (not reached) vs no limit: req/s',
      '',
      '',
      `${f(x.limited.rps)} vs ${f(x.unlimited.rps)}`,
      `${f(x.ratio, '×')} (median of ${x.round_ratios.length} interleaved rounds: ${x.round_ratios.join(', ')}); p99 ${f(x.limited.p99_ms)} vs ${f(x.unlimited.p99_ms)} ms`,
    );
  }
  if (s.auth?.skipped) add('auth-protected vs open', '', '', s.auth.skipped, '');
  if (s.auth?.protected) {
    const x = s.auth;
    add(
      `auth-protected (forward, valid JWT) vs open target, same requests: req/s`,
      '',
      '',
      `${f(x.protected.rps)} vs ${f(x.open.rps)}`,
      `${f(x.ratio, '×')} of open (median of ${x.round_ratios.length} interleaved rounds: ${x.round_ratios.join(', ')})`,
    );
    add(
      'auth-protected vs open: p50 / p99 ms',
      '',
      '',
      `${f(x.protected.p50_ms)} / ${f(x.protected.p99_ms)} vs ${f(x.open.p50_ms)} / ${f(x.open.p99_ms)}`,
      `p99 ${f(x.ratio_p99, '×')}`,
    );
    if (x.open_without_token)
      add(
        '… open target, requests without the token: req/s',
        '',
        '',
        `${f(x.protected.rps)} vs ${f(x.open_without_token.rps)}`,
        `${f(x.ratio_vs_open_without_token, '×')} (median)`,
      );
    add(
      '… open target moving the same header bytes both ways (control): req/s',
      '',
      '',
      `${f(x.protected.rps)} vs ${f(x.control_same_bytes.rps)}`,
      `${f(x.ratio_vs_control, '×')} of control (median)`,
    );
  }
  if (s['https-sni']?.ours) {
    const x = s['https-sni'];
    add(
      'HTTPS keep-alive: req/s',
      '',
      f(x.nginx.rps),
      f(x.ours.rps),
      `${f(x.ratio_rps_vs_nginx, '×')} (median of ${x.rounds} rounds: ${x.round_ratios_rps_vs_nginx.join(', ')})`,
    );
    add(
      'HTTPS: p50 / p99 ms',
      '',
      `${f(x.nginx.p50_ms)} / ${f(x.nginx.p99_ms)}`,
      `${f(x.ours.p50_ms)} / ${f(x.ours.p99_ms)}`,
      '',
    );
  }
  if (s['sse-idle']?.ours) {
    const x = s['sse-idle'];
    add(
      `${x.ours.streams} idle SSE streams: KiB per stream`,
      f(x.direct.kib_per_stream),
      f(x.nginx.kib_per_stream),
      f(x.ours.kib_per_stream),
      '',
    );
    add(
      'SSE event latency p50 / p99 ms',
      `${f(x.direct.event_latency_p50_ms)} / ${f(x.direct.event_latency_p99_ms)}`,
      `${f(x.nginx.event_latency_p50_ms)} / ${f(x.nginx.event_latency_p99_ms)}`,
      `${f(x.ours.event_latency_p50_ms)} / ${f(x.ours.event_latency_p99_ms)}`,
      '',
    );
  }
  if (s['websocket-echo']?.ours) {
    const x = s['websocket-echo'];
    add(
      'WebSocket echo RTT p50 / p99 ms',
      `${f(x.direct.rtt_p50_ms)} / ${f(x.direct.rtt_p99_ms)}`,
      `${f(x.nginx.rtt_p50_ms)} / ${f(x.nginx.rtt_p99_ms)}`,
      `${f(x.ours.rtt_p50_ms)} / ${f(x.ours.rtt_p99_ms)}`,
      '',
    );
  }
  if (s.propagation?.p99_ms !== undefined) {
    add(
      `config propagation A→B (${s.propagation.writes} writes) p50 / p99 ms`,
      '',
      '',
      `${f(s.propagation.p50_ms)} / ${f(s.propagation.p99_ms)}`,
      '',
    );
    add(
      '… of which after A answered the write, p50 / p99 ms',
      '',
      '',
      `${f(s.propagation.after_write_p50_ms)} / ${f(s.propagation.after_write_p99_ms)}`,
      '',
    );
  }
  if (s.scale?.many_targets) {
    const x = s.scale;
    add(
      `${x.targets} targets + ${x.routes} routes vs 1: req/s`,
      '',
      '',
      `${f(x.many_targets.rps)} vs ${f(x.one_target.rps)}`,
      `${f(x.ratio_rps, '×')} of one target`,
    );
    add(
      'start-up to first proxied answer, ms',
      '',
      '',
      `${f(x.many_targets.startup_ms)} vs ${f(x.one_target.startup_ms)}`,
      '',
    );
  }
  if (s['sse-list-filter']?.proxied) {
    const x = s['sse-list-filter'];
    add(
      'SSE event through one stream (no policy): latency p50 / p99 ms',
      `${f(x.proxied.direct.event_latency_p50_ms)} / ${f(x.proxied.direct.event_latency_p99_ms)}`,
      '',
      `${f(x.proxied.ours.event_latency_p50_ms)} / ${f(x.proxied.ours.event_latency_p99_ms)}`,
      '',
    );
    add(
      `SSE list filtering, added per event (${x.events} events, 1 in 10 a ${x.answer_bytes}-byte tools/list answer): p50 / p99 / max µs`,
      '',
      '',
      `${f(x.transform_p50_us)} / ${f(x.transform_p99_us)} / ${f(x.transform_max_us)}`,
      `list answers (${x.answer_filtered_bytes} bytes after filtering) mean / p50 / p99 ${f(x.list_answer_mean_us)} / ${f(x.list_answer_p50_us)} / ${f(x.list_answer_p99_us)} µs; notifications p99 ${f(x.notification_p99_us)} µs`,
    );
  }
  for (const [name, v] of Object.entries(s)) if (v?.error) lines.push('', `**${name} failed**: ${v.error}`);
  return lines.join('\n');
}

async function main() {
  ensureNodeModules();
  ensureCommands({
    wrk: 'wrk',
    nginx: 'nginx',
    'redis-server': 'redis-server',
    'redis-cli': 'redis-tools',
    openssl: 'openssl',
  });
  ensureBuilt(['server']);
  results.machine = {
    workers: WORKERS,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? '?',
    memory_gib: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    loadavg_before: loadavg().map((v) => round(v)),
  };
  const redis = await startRedis();
  const backend = await startBackend();
  const certificate = makeCertificate();
  const nginx = await startNginx(backend.port, certificate);
  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const ours = await startServer(redis.url, prefix);
  const replicaB = await startServer(redis.url, prefix);
  await addTarget(ours, HOST, `http://127.0.0.1:${backend.port}`);
  await until('target served', async () => (await get(ours.httpPort, '/small', HOST)).status === 200);
  await until('target served on B', async () => (await get(replicaB.httpPort, '/small', HOST)).status === 200);
  // Warm-up (JIT, pools) for everyone.
  if (!SMOKE)
    for (const port of [backend.port, nginx.port, ours.httpPort])
      await wrk(`http://127.0.0.1:${port}/small`, { duration: 1 });
  const ctx = { redis, backend, nginx, ours, replicaB };
  for (const [name, run] of Object.entries(scenarios)) {
    if (ONLY.length && !ONLY.includes(name)) continue;
    log(`${name}...`);
    try {
      results.scenarios[name] = await run(ctx);
    } catch (error) {
      results.scenarios[name] = { error: error.message };
      log(`${name} failed: ${error.message}`);
      for (const [who, server] of [
        ['ours', ours],
        ['replica B', replicaB],
      ]) {
        if (server.child.exitCode !== null || server.child.signalCode)
          log(
            `${who} exited (${server.child.exitCode ?? server.child.signalCode}):\n${server.child.output.slice(-4000)}`,
          );
      }
    }
  }
  results.machine.loadavg_after = loadavg().map((v) => round(v));
  mkdirSync(OUT, { recursive: true });
  const md = markdown(results);
  writeFileSync(join(OUT, 'latest.json'), JSON.stringify(results, null, 2));
  writeFileSync(join(OUT, 'latest.md'), md + '\n');
  console.log(md);
}

let code = 0;
try {
  await main();
} catch (error) {
  console.error(error.stack ?? error);
  code = 1;
} finally {
  agent.destroy();
  await Promise.all(children.map(stop));
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
