#!/usr/bin/env node
// Interleaved A/B of two server builds (noisy shared machines): copy dist/ to .dist-A before a change,
// rebuild, start a Redis and bench/backend.mjs, then:
//   node bench/ab.mjs .dist-A dist redis://127.0.0.1:<port> <backend port>
// Both sides get the server's launch flags (apps/server/node-flags.json); AB_NODE_ARGS_A / AB_NODE_ARGS_B
// add node flags to one side (the same dist twice compares flags).
// AB_ENV_A / AB_ENV_B add environment variables to one side, space-separated NAME=value
// (e.g. AB_ENV_B=WORKERS=2 compares one process with two workers on the same dist).
// Both servers run side by side; short wrk runs alternate A,B / B,A and the per-pair ratio is printed.
// Also printed: each side's CPU time per request (the server process and its children, from /proc:
// less sensitive than req/s to other load on a shared machine) and Redis's CPU per request during
// that side's runs (INFO cpu; the other side is idle then), both medians over the runs, in µs.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import { availableParallelism } from 'node:os';
import { SERVER_NODE_FLAGS } from '../scripts/lib/system.mjs';
const [distA, distB, redisUrl, backendPort] = process.argv.slice(2);
const ADMIN = 'acm_ab_' + randomBytes(8).toString('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const get = (port, path, host, method = 'GET', body) =>
  new Promise((res, rej) => {
    const r = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        headers: { host, authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        agent: false,
      },
      (x) => {
        let text = '';
        x.on('data', (c) => (text += c));
        x.on('end', () => res({ status: x.statusCode, text }));
      },
    );
    r.on('error', rej);
    r.end(body);
  });
const req = async (...args) => (await get(...args)).status;
const parseEnv = (text = '') =>
  Object.fromEntries(
    text
      .split(' ')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
async function start(dist, base, nodeArgs = '', extraEnv = {}) {
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: 'ab-' + base,
    ADMIN_TOKEN: ADMIN,
    API_PORT: String(base),
    API_BIND: '127.0.0.1',
    HTTP_PORT: String(base + 1),
    HTTPS_PORT: String(base + 2),
    PROXY_PROTOCOL_PORT: '0',
    PUBLIC_BIND: '127.0.0.1',
    BASE_DOMAIN: 'example.test',
    LOG_LEVEL: 'warn',
    STORAGE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUTO_CERTIFICATES: 'false',
    ...extraEnv,
  };
  const child = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, ...nodeArgs.split(' ').filter(Boolean), dist + '/apps/server/main.js'],
    { env, stdio: 'ignore' },
  );
  // With WORKERS > 1, wait until every worker has answered /health (each fresh connection may reach another one).
  const workers = env.WORKERS === 'auto' ? availableParallelism() : Number(env.WORKERS ?? 1);
  const pids = new Set();
  while (pids.size < workers) {
    try {
      const h = await get(base, '/health', '127.0.0.1');
      if (h.status === 200) pids.add(JSON.parse(h.text).worker?.pid ?? 0);
    } catch {}
    if (pids.size < workers) await sleep(100);
  }
  await req(
    base,
    '/api/v1/proxy/targets',
    '127.0.0.1',
    'POST',
    JSON.stringify({ hostname: 'ab.test', target_url: `http://127.0.0.1:${backendPort}` }),
  );
  for (;;) {
    try {
      if ((await req(base + 1, '/small', 'ab.test')) === 200) break;
    } catch {}
    await sleep(50);
  }
  return child;
}
// Ports 10100-10299: outside the kernel's ephemeral range and the test suites' port blocks.
const a = await start(distA, 10100, process.env.AB_NODE_ARGS_A, parseEnv(process.env.AB_ENV_A));
const b = await start(distB, 10200, process.env.AB_NODE_ARGS_B, parseEnv(process.env.AB_ENV_B));
console.log(
  'A',
  distA,
  process.env.AB_NODE_ARGS_A ?? '',
  process.env.AB_ENV_A ?? '',
  '| B',
  distB,
  process.env.AB_NODE_ARGS_B ?? '',
  process.env.AB_ENV_B ?? '',
);
const P99 = { 10101: [], 10201: [] };
const CPU = { 10101: [], 10201: [] };
const REDIS_CPU = { 10101: [], 10201: [] };
const PIDS = { 10101: a.pid, 10201: b.pid };
const TICK_US = 1e6 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
// utime + stime of a process and its descendants, µs.
const cpuOf = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let us = (Number(fields[11]) + Number(fields[12])) * TICK_US;
    for (const tid of readdirSync(`/proc/${pid}/task`))
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean))
        us += cpuOf(child);
    return us;
  } catch {
    return 0;
  }
};
const redisCpuUs = () => {
  const info = spawnSync('redis-cli', ['-u', redisUrl, 'info', 'cpu'], { encoding: 'utf8' }).stdout ?? '';
  return ['used_cpu_sys', 'used_cpu_user'].reduce(
    (sum, name) => sum + Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN) * 1e6,
    0,
  );
};
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rps = (port) => {
  const cpu0 = cpuOf(PIDS[port]);
  const redis0 = redisCpuUs();
  const out = spawnSync(
    'wrk',
    ['-t1', '-c50', '-d3s', '--latency', '-H', 'Host: ab.test', `http://127.0.0.1:${port}/small`],
    { encoding: 'utf8' },
  ).stdout;
  if (!/Requests\/sec/.test(out)) console.error(`wrk on ${port} failed:`, out);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  CPU[port].push((cpuOf(PIDS[port]) - cpu0) / requests);
  REDIS_CPU[port].push((redisCpuUs() - redis0) / requests);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s)/m.exec(out);
  if (p99) P99[port].push(Number(p99[1]) * { us: 0.001, ms: 1, s: 1000 }[p99[2]]);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
};
rps(10101);
rps(10201);
for (const m of [P99, CPU, REDIS_CPU]) {
  m[10101].length = 0;
  m[10201].length = 0;
} // warm-up (JIT), not counted
const A = [],
  B = [];
for (let i = 0; i < 6; i++) {
  if (i % 2) {
    B.push(rps(10201));
    A.push(rps(10101));
  } else {
    A.push(rps(10101));
    B.push(rps(10201));
  }
}
console.log('A', A.map(Math.round).join(' '), 'B', B.map(Math.round).join(' '));
console.log('B/A per pair', A.map((x, i) => (B[i] / x).toFixed(2)).join(' '));
console.log(
  'p99 ms A',
  P99[10101].map((x) => x.toFixed(1)).join(' '),
  'B',
  P99[10201].map((x) => x.toFixed(1)).join(' '),
);
console.log(
  'server CPU µs/req A',
  CPU[10101].map((x) => x.toFixed(1)).join(' '),
  'B',
  CPU[10201].map((x) => x.toFixed(1)).join(' '),
  '| median A',
  median(CPU[10101]).toFixed(1),
  'B',
  median(CPU[10201]).toFixed(1),
  'B/A',
  (median(CPU[10201]) / median(CPU[10101])).toFixed(2),
);
console.log('redis CPU µs/req median A', median(REDIS_CPU[10101]).toFixed(1), 'B', median(REDIS_CPU[10201]).toFixed(1));
a.kill();
b.kill();
