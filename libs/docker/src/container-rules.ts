/**
 * Pure rules for managed containers: names, image allowlist, limits, labels, log framing.
 * Kept free of Nest and dockerode so they are unit-tested directly.
 */

/** A service name becomes `<name>.<BASE_DOMAIN>`, so it is one DNS label. */
export const SERVICE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Docker image reference: [registry[:port]/]path[:tag][@digest]. */
export const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\-/:]{0,254}(@sha256:[a-f0-9]{64})?$/i;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const LABEL_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,127}$/;
export const CAPABILITY_PATTERN = /^(ALL|[A-Z][A-Z_]{1,31})$/;
export const USER_PATTERN = /^([a-z_][a-z0-9_.-]{0,31}|\d{1,10})(:([a-z_][a-z0-9_.-]{0,31}|\d{1,10}))?$/;
export const MEMORY_PATTERN = /^\d+(\.\d+)?\s*[bkmg]?$/i;

/** Labels every managed container carries. The `deployment` label is the Redis key prefix. */
export const LABELS = {
  managed: 'io.mcp-proxy.managed',
  owner: 'io.mcp-proxy.owner',
  service: 'io.mcp-proxy.service',
  deployment: 'io.mcp-proxy.deployment',
  /** The service record's `generation`: which creation of the name the container belongs to. */
  generation: 'io.mcp-proxy.generation',
} as const;
export const RESERVED_LABEL_PREFIX = 'io.mcp-proxy.';

/** Docker refuses memory limits below 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
export const MAX_MEMORY_BYTES = 1024 ** 4;

/** Bytes per unit of a memory limit; no unit is bytes. */
const UNIT_BYTES: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "512m" → bytes (b, k, m, g; binary units like Docker's CLI); null when malformed. */
export function parseMemoryLimit(value: string): number | null {
  if (!MEMORY_PATTERN.test(value.trim())) return null;
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)$/i.exec(value.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * UNIT_BYTES[match[2].toLowerCase()]);
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Adds the implicit `:latest` so `busybox` and `busybox:latest` are the same image for the allowlist. */
export function normalizeImage(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

/** True when the image matches a pattern (`*` = any characters); a pattern without a tag also matches any tag. */
export function imageAllowed(image: string, patterns: string[]): boolean {
  const normalized = normalizeImage(image);
  return patterns.some((pattern) => {
    const re = globToRegExp(pattern);
    if (re.test(image) || re.test(normalized)) return true;
    const hasTag = pattern.slice(pattern.lastIndexOf('/') + 1).includes(':') || pattern.includes('@');
    return !hasTag && globToRegExp(`${pattern}:*`).test(normalized);
  });
}

/** Docker container names are global on the engine: prefix with the deployment (Redis key prefix). */
export function containerName(deployment: string, service: string): string {
  return `mcp-${deployment.replace(/[^A-Za-z0-9_.-]/g, '_')}-${service}`;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * Splits Docker's multiplexed log format (8-byte header: stream, 0, 0, 0, uint32 length) into
 * lines. Output of a TTY container has no headers: then everything is stdout.
 */
export function demuxDockerLog(buffer: Buffer): LogLine[] {
  const chunks: { stream: LogLine['stream']; data: Buffer }[] = [];
  let offset = 0;
  const framed =
    buffer.length >= 8 && [0, 1, 2].includes(buffer[0]) && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
  if (!framed) {
    chunks.push({ stream: 'stdout', data: buffer });
  } else {
    while (offset + 8 <= buffer.length) {
      const type = buffer[offset];
      const length = buffer.readUInt32BE(offset + 4);
      chunks.push({ stream: type === 2 ? 'stderr' : 'stdout', data: buffer.subarray(offset + 8, offset + 8 + length) });
      offset += 8 + length;
    }
  }
  const lines: LogLine[] = [];
  for (const chunk of chunks) {
    for (const text of chunk.data.toString('utf8').split('\n')) {
      if (text !== '') lines.push({ stream: chunk.stream, text: text.replace(/\r$/, '') });
    }
  }
  return lines;
}
