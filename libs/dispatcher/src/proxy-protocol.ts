import { isIPv4, isIPv6 } from 'node:net';

/** The client address a PROXY header announced; null for LOCAL / UNKNOWN (health checks of the balancer). */
export interface ProxiedSource {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export type ProxyHeaderResult =
  | { state: 'incomplete' }
  | { state: 'invalid'; reason: string }
  | { state: 'ok'; length: number; source: ProxiedSource | null };

const V1_PREFIX = Buffer.from('PROXY ', 'ascii');
const V1_MAX_LENGTH = 107;
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const PORT = /^(0|[1-9]\d{0,4})$/;

const invalid = (reason: string): ProxyHeaderResult => ({ state: 'invalid', reason });

/** True when `buf` is a (possibly partial) prefix of `expected`. */
function startsLike(buf: Buffer, expected: Buffer): boolean {
  const n = Math.min(buf.length, expected.length);
  return buf.subarray(0, n).equals(expected.subarray(0, n));
}

/**
 * Parses a PROXY protocol header (v1 text or v2 binary, haproxy's proxy-protocol.txt) at the start
 * of `buf`. `incomplete` asks for more bytes; anything that is not a well-formed header is `invalid`.
 */
export function parseProxyHeader(buf: Buffer): ProxyHeaderResult {
  if (buf.length === 0) return { state: 'incomplete' };
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < 16 ? { state: 'incomplete' } : parseV2(buf);
  if (startsLike(buf, V1_PREFIX)) return parseV1(buf);
  return invalid('not a PROXY protocol header');
}

function parseV1(buf: Buffer): ProxyHeaderResult {
  const end = buf.subarray(0, V1_MAX_LENGTH).indexOf('\r\n');
  if (end === -1)
    return buf.length >= V1_MAX_LENGTH ? invalid('PROXY v1 line longer than 107 bytes') : { state: 'incomplete' };
  const line = buf.subarray(0, end).toString('latin1');
  const parts = line.split(' ');
  const length = end + 2;
  if (parts[1] === 'UNKNOWN') return { state: 'ok', length, source: null };
  if (parts.length !== 6) return invalid('PROXY v1 line must be "PROXY TCP4|TCP6 src dst srcport dstport"');
  const [, proto, src, dst, sport, dport] = parts;
  const family = v1Family(proto);
  if (!family) return invalid(`PROXY v1 protocol "${proto}" is not TCP4, TCP6 or UNKNOWN`);
  const isIp = family === 'IPv4' ? isIPv4 : isIPv6;
  if (!isIp(src) || !isIp(dst)) return invalid(`PROXY v1 addresses are not ${family}`);
  if (!PORT.test(sport) || !PORT.test(dport) || Number(sport) > 65535 || Number(dport) > 65535)
    return invalid('PROXY v1 ports are not 0-65535');
  return { state: 'ok', length, source: { address: src, port: Number(sport), family } };
}

/** The address family a v1 protocol word names; null for anything but TCP4 and TCP6. */
function v1Family(proto: string): ProxiedSource['family'] | null {
  if (proto === 'TCP4') return 'IPv4';
  if (proto === 'TCP6') return 'IPv6';
  return null;
}

function parseV2(buf: Buffer): ProxyHeaderResult {
  const versionCommand = buf[12];
  if (versionCommand >> 4 !== 2) return invalid('PROXY v2 version is not 2');
  const command = versionCommand & 0x0f;
  if (command > 1) return invalid('PROXY v2 command is neither LOCAL nor PROXY');
  const family = buf[13] >> 4;
  const transport = buf[13] & 0x0f;
  if (family > 3 || transport > 2) return invalid('PROXY v2 address family or transport is unknown');
  const length = 16 + buf.readUInt16BE(14);
  if (buf.length < length) return { state: 'incomplete' };
  // LOCAL (the balancer's own connection) and UNSPEC/UNIX carry no usable client address.
  if (command === 0 || family === 0 || family === 3) return { state: 'ok', length, source: null };
  const body = buf.subarray(16, length);
  if (family === 1) {
    if (body.length < 12) return invalid('PROXY v2 IPv4 block shorter than 12 bytes');
    return {
      state: 'ok',
      length,
      source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8), family: 'IPv4' },
    };
  }
  if (body.length < 36) return invalid('PROXY v2 IPv6 block shorter than 36 bytes');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(body.readUInt16BE(i).toString(16));
  return {
    state: 'ok',
    length,
    source: { address: compressIpv6(groups), port: body.readUInt16BE(32), family: 'IPv6' },
  };
}

/** `0:0:0:0:0:0:0:1` → `::1` (the usual textual form, as Node prints socket addresses). */
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength && j - i > 1) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestStart === -1) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
