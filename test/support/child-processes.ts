import type { ChildProcess } from 'node:child_process';

/** Signals each child that is still running and resolves when all of them have exited. */
export function stopChildren(children: Iterable<ChildProcess>, signal: NodeJS.Signals): Promise<void> {
  return Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill(signal);
        }),
    ),
  ).then(() => undefined);
}
