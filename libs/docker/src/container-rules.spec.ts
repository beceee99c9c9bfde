import { containerName, demuxDockerLog, imageAllowed, normalizeImage, parseMemoryLimit } from './container-rules';

describe('container rules', () => {
  it('parses memory limits in Docker units', () => {
    expect(parseMemoryLimit('512m')).toBe(512 * 1024 * 1024);
    expect(parseMemoryLimit('1g')).toBe(1024 ** 3);
    expect(parseMemoryLimit('64K')).toBe(64 * 1024);
    expect(parseMemoryLimit('1000')).toBe(1000);
    expect(parseMemoryLimit('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseMemoryLimit('lots')).toBeNull();
    expect(parseMemoryLimit('-5m')).toBeNull();
    expect(parseMemoryLimit('5x')).toBeNull();
  });

  it('matches images against allowlist patterns', () => {
    expect(normalizeImage('busybox')).toBe('busybox:latest');
    expect(normalizeImage('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(imageAllowed('busybox', ['busybox:latest'])).toBe(true);
    expect(imageAllowed('busybox:1.36', ['busybox'])).toBe(true);
    expect(imageAllowed('busybox:1.36', ['busybox:latest'])).toBe(false);
    expect(imageAllowed('ghcr.io/acme/api:v1', ['ghcr.io/acme/*'])).toBe(true);
    expect(imageAllowed('ghcr.io/evil/api:v1', ['ghcr.io/acme/*'])).toBe(false);
    expect(imageAllowed('busyboxevil', ['busybox'])).toBe(false);
    expect(imageAllowed('anything/at:all', ['*'])).toBe(true);
    expect(imageAllowed('busybox', [])).toBe(false);
  });

  it('prefixes container names with the deployment', () => {
    expect(containerName('test-ab12', 'web')).toBe('mcp-test-ab12-web');
  });

  it('demultiplexes Docker log frames into lines per stream', () => {
    const frame = (type: number, text: string) => {
      const body = Buffer.from(text);
      const header = Buffer.alloc(8);
      header[0] = type;
      header.writeUInt32BE(body.length, 4);
      return Buffer.concat([header, body]);
    };
    expect(demuxDockerLog(Buffer.concat([frame(1, 'one\ntwo\n'), frame(2, 'oops\n')]))).toEqual([
      { stream: 'stdout', text: 'one' },
      { stream: 'stdout', text: 'two' },
      { stream: 'stderr', text: 'oops' },
    ]);
    expect(demuxDockerLog(Buffer.from('plain tty output\r\n'))).toEqual([
      { stream: 'stdout', text: 'plain tty output' },
    ]);
  });
});
