import { startEchoHttpServer } from './echo-http';
import { parseSettings, SettingsError } from './settings';

/** Example MCP server for trying the proxy: `MCP_ECHO_MODE=stateless|stateful MCP_ECHO_PORT=3101 node dist/apps/mcp-echo/main.js`. */
async function main(): Promise<void> {
  let settings;
  try {
    settings = parseSettings(process.env);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`mcp-echo: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = (line: string) =>
    process.stdout.write(`${new Date().toISOString()} mcp-echo[${settings.mode}] ${line}\n`);
  const running = await startEchoHttpServer(settings, log);
  const hosts = settings.allowedHosts === null ? 'any Host' : `Host ${settings.allowedHosts.join(', ')} (and loopback)`;
  log(`listening on ${running.url} (${hosts}; identity headers ${settings.headerPrefix}*)`);
  const stop = (signal: string) => {
    log(`${signal}: stopping`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`mcp-echo: ${(error as Error).message}\n`);
  process.exit(1);
});
