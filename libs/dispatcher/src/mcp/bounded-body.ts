import type { IncomingMessage } from 'node:http';

export type BodyRead = { kind: 'body'; body: Buffer } | { kind: 'too-large' } | { kind: 'gone' };

/**
 * Reads a request body into memory, at most `maxBytes`: the whole body, `too-large` as soon as it
 * passes the bound (the request is left paused with the rest unread: the caller answers and drains),
 * or `gone` when the client aborts first. `done` is called exactly once.
 */
export function readBoundedBody(req: IncomingMessage, maxBytes: number, done: (read: BodyRead) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  const finish = (read: BodyRead): void => {
    if (over) return;
    over = true;
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('error', onGone);
    req.removeListener('close', onGone);
    done(read);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= maxBytes) return void chunks.push(chunk);
    req.pause();
    finish({ kind: 'too-large' });
  };
  const onEnd = (): void =>
    finish({ kind: 'body', body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
  const onGone = (): void => finish({ kind: 'gone' });
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('error', onGone);
  req.once('close', onGone);
}
