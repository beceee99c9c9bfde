import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerProcess, SERVER_NODE_FLAGS } from '../support/server-process';

const ROOT = join(__dirname, '..', '..');

/**
 * The server's V8 flags (apps/server/node-flags.json) can only be given at launch, so every way of
 * launching it must pass them: npm start and the tests read the JSON file; the Dockerfile and
 * `npm run start:prod` repeat them and must not drift.
 */
describe('server launch flags', () => {
  it('are listed, and repeated by the Dockerfile CMD and npm run start:prod', () => {
    expect(SERVER_NODE_FLAGS.length).toBeGreaterThan(0);
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(JSON.parse(cmd?.[1] ?? '[]')).toEqual(['node', ...SERVER_NODE_FLAGS, 'dist/apps/server/main.js']);
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts['start:prod']).toBe(['node', ...SERVER_NODE_FLAGS, 'dist/apps/server/main.js'].join(' '));
    const start = readFileSync(join(ROOT, 'scripts', 'start.mjs'), 'utf8');
    expect(start).toContain(
      "spawn(process.execPath, [...SERVER_NODE_FLAGS, join(root, 'dist', 'apps', 'server', 'main.js')]",
    );
  });

  it('reach the running server process', async () => {
    const server = await ServerProcess.start();
    try {
      const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
      for (const flag of SERVER_NODE_FLAGS) expect(argv).toContain(flag);
    } finally {
      await server.stop();
    }
  });
});
