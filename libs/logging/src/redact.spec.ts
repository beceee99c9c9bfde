import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED, redactSecrets } from './redact';

describe('redactSecrets', () => {
  it('replaces secrets at any depth and leaves the rest', () => {
    const out = redactSecrets({
      user: 'alice',
      headers: { authorization: 'Bearer abc', Cookie: 'sid=1', accept: 'text/html' },
      nested: { deeper: [{ client_secret: 's', refresh_token: 'r', private_key: 'k', name: 'n' }] },
      note: 'key -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- and acm_abcdefghijklmnopqrstuvwxyz012345',
    });
    expect(out).toEqual({
      user: 'alice',
      headers: { authorization: REDACTED, Cookie: REDACTED, accept: 'text/html' },
      nested: { deeper: [{ client_secret: REDACTED, refresh_token: REDACTED, private_key: REDACTED, name: 'n' }] },
      note: `key ${REDACTED} and ${REDACTED}`,
    });
  });

  it('redacts through a real pino logger using the same formatter', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ formatters: { log: (o) => redactSecrets(o) } }, sink);
    logger.info({ body: { grant: { code_verifier: 'verifier-value', token: 'acm_x' } } }, 'exchanging');
    expect(lines.join('')).not.toContain('verifier-value');
    expect(JSON.parse(lines[0]).body.grant.code_verifier).toBe(REDACTED);
  });
});
