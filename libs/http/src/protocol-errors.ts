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

/**
 * The formats in force, provided by the composing module (`apps/server`) and handed to the
 * ApiExceptionFilter by `createAdminApp`; none provided → every route keeps the admin API's shape.
 */
export const PROTOCOL_ERROR_FORMATS = Symbol('PROTOCOL_ERROR_FORMATS');

export function protocolErrorFormatFor(
  formats: readonly ProtocolErrorFormat[],
  url: string,
): ProtocolErrorFormat | undefined {
  if (formats.length === 0) return undefined;
  const path = url.split('?')[0];
  return formats.find((f) => f.matches(path));
}
