/**
 * Routes whose errors follow a protocol's shape rather than the admin API's (OAuth endpoints answer
 * RFC 6749 `{ error, error_description }`). Their own controllers format the errors they throw; this
 * registry covers the failures that happen before a controller runs (malformed JSON, body too large),
 * which only the global ApiExceptionFilter sees.
 */
export interface ProtocolErrorFormat {
  matches(path: string): boolean;
  format(status: number, message: string): { body: unknown; headers: Record<string, string> };
}

const formats: ProtocolErrorFormat[] = [];

export function registerProtocolErrorFormat(format: ProtocolErrorFormat): void {
  if (!formats.includes(format)) formats.push(format);
}

export function protocolErrorFormatFor(url: string): ProtocolErrorFormat | undefined {
  const path = url.split('?')[0];
  return formats.find((f) => f.matches(path));
}
