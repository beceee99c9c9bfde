import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Evaluates an expression over scripts/lib/node-lts.mjs (an ES module) in a child Node; returns its JSON. */
function nodeLts<T>(expression: string): T {
  const script = `import(${JSON.stringify(join(ROOT, 'scripts', 'lib', 'node-lts.mjs'))}).then((m) => process.stdout.write(JSON.stringify(${expression})))`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as T;
}

/** The Node LTS the project runs on: the image, the test suite, and what npm start asks for. */
describe('Node LTS', () => {
  const version = nodeLts<string>('m.NODE_LTS_VERSION');
  const major = version.split('.')[0];

  it('is the LTS that package.json, @types/node and the Dockerfile base name', () => {
    expect(major).toBe('24');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toBe(`>=${major}`);
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(
      new RegExp(`^ARG BASE_IMAGE=mcp-https-proxy-base:${major}-bookworm$`, 'm'),
    );
  });

  it('is runnable from the npm registry package (what npm test runs the suite on when the machine has an older Node)', () => {
    const binary = nodeLts<string>('m.nodeLtsBinary()');
    expect(spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(
      major === process.versions.node.split('.')[0] ? process.version : `v${version}`,
    );
  }, 300_000);

  it('npm start prints one line on an older Node, saying what to install, and carries on', () => {
    expect(nodeLts('m.oldNodeWarning("20.20.2")')).toBe(
      `Warning: Node.js 20.20.2 has reached end of life; install Node.js ${major} LTS (https://nodejs.org/en/download). Carrying on.`,
    );
    expect(nodeLts('m.oldNodeWarning("22.14.0")')).toBe(
      `Warning: Node.js 22.14.0 is older than Node.js ${major}, the LTS this project is built and tested on; install Node.js ${major} LTS (https://nodejs.org/en/download). Carrying on.`,
    );
    expect(nodeLts(`[m.oldNodeWarning("${version}"), m.oldNodeWarning("26.1.0")]`)).toEqual([null, null]);
    // Before anything else, and it only warns: start.mjs goes on to install, build and start.
    const start = readFileSync(join(ROOT, 'scripts', 'start.mjs'), 'utf8');
    expect(start).toContain(
      'async function main() {\n  const warning = oldNodeWarning();\n  if (warning) console.warn(warning);\n  ensureNodeModules();',
    );
  });
});
