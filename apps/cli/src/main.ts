#!/usr/bin/env node
// proxyctl: the command-line client of the admin API. `proxyctl --help` lists the commands.
import { runCli } from './cli';

// Ctrl-C aborts the request: a streaming command (logs follow) then ends with 0, any other with
// the usual 130; a second Ctrl-C exits at once.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});

runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interrupt: interrupt.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`proxyctl: internal error: ${error.message}\n`);
    process.exitCode = 70;
  },
);
