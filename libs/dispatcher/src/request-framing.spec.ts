import type { IncomingMessage } from 'node:http';
import { framingProblem } from './request-framing';

const request = (rawHeaders: string[], minor = 1): IncomingMessage => {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    headers[name] = name in headers ? `${headers[name]}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1];
  }
  return { headers, rawHeaders, httpVersionMajor: 1, httpVersionMinor: minor } as unknown as IncomingMessage;
};

describe('framingProblem', () => {
  it('accepts one Content-Length, plain chunked in any case, and one Host', () => {
    expect(framingProblem(request(['Host', 'a', 'Content-Length', '5']))).toBeNull();
    expect(framingProblem(request(['Host', 'a', 'Transfer-Encoding', 'CHUNKED']))).toBeNull();
    expect(framingProblem(request(['host', 'a']))).toBeNull();
  });

  it.each([
    ['another coding before chunked', ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked']],
    ['two Transfer-Encoding headers', ['Host', 'a', 'Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked']],
    ['an empty list element', ['Host', 'a', 'Transfer-Encoding', ',chunked']],
    ['two Host headers', ['Host', 'a', 'HOST', 'b']],
  ])('refuses %s', (_name, raw) => {
    expect(framingProblem(request(raw))).toMatch(/\w/);
  });

  it('refuses Transfer-Encoding in HTTP/1.0', () => {
    expect(framingProblem(request(['Host', 'a', 'Transfer-Encoding', 'chunked'], 0))).toMatch(/HTTP\/1\.1/);
  });
});
