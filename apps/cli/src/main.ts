#!/usr/bin/env node
// proxyctl: the command-line client of the admin API. `proxyctl --help` lists the commands.
import { runCli } from './cli';

runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`proxyctl: internal error: ${error.message}\n`);
    process.exitCode = 70;
  },
);
