import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../wait';

const RUNNER = join(
  __dirname,
  '..',
  '..',
  '..',
  'node_modules',
  '@modelcontextprotocol',
  'conformance',
  'dist',
  'index.js',
);

/** One check of a scenario as the runner writes it (`checks.json`). */
export interface ConformanceCheck {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

export interface ConformanceRun {
  exitCode: number | null;
  output: string;
  /** The checks of each scenario that ran, by scenario name. */
  scenarios: Map<string, ConformanceCheck[]>;
}

/** `server-<scenario>-<ISO time with - for : and .>`: the runner's result folder of one scenario. */
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

/**
 * Runs the official MCP conformance suite's server scenarios (`conformance server --suite all`:
 * the active ones and those the suite still calls pending) against `url`, and reads back each
 * scenario's checks from the folders it writes.
 */
export async function runServerScenarios(url: string, timeoutMs = 45_000): Promise<ConformanceRun> {
  const outDir = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
  try {
    const child = spawn(process.execPath, [RUNNER, 'server', '--suite', 'all', '--url', url, '-o', outDir], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(
        'the conformance runner to finish',
        () => child.exitCode ?? child.signalCode,
        (v) => v !== null,
        {
          timeoutMs,
          intervalMs: 100,
          details: () => `runner output:\n${output.slice(-4000)}`,
        },
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const exitCode = await exited;
    const scenarios = new Map<string, ConformanceCheck[]>();
    for (const entry of (await readdir(outDir)).sort()) {
      const scenario = RESULT_DIR.exec(entry)?.[1];
      if (!scenario) continue;
      scenarios.set(
        scenario,
        JSON.parse(await readFile(join(outDir, entry, 'checks.json'), 'utf8')) as ConformanceCheck[],
      );
    }
    return { exitCode, output, scenarios };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * The verdicts of a run, scenario by scenario: each check that passes or fails (`id: STATUS`),
 * without the INFO records (requests and answers as the runner saw them, with session ids and times).
 */
export function verdicts(run: ConformanceRun): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [scenario, checks] of [...run.scenarios].sort(([a], [b]) => a.localeCompare(b)))
    out[scenario] = checks.filter((c) => c.status !== 'INFO').map((c) => `${c.id}: ${c.status}`);
  return out;
}

/** The scenarios with a failing check, each with its failures' messages. */
export function failures(run: ConformanceRun): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [scenario, checks] of run.scenarios) {
    const failed = checks.filter((c) => c.status === 'FAILURE');
    if (failed.length > 0) out[scenario] = failed.map((c) => `${c.id}: ${c.errorMessage ?? ''}`);
  }
  return out;
}
