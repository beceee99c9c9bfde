/** Keys whose values never reach a log line, at any depth. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|client_secret|code_verifier|code|refresh_token|access_token|id_token|token|.*_token|.*[-_]secret|.*private_?key.*|.*_key_b64|registration_access_token|admin_token|x-api-key)$/i;

export const REDACTED = '[redacted]';

/** PEM private keys inside otherwise harmless strings (error messages, dumps). */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
/** Our API tokens wherever they appear in text. */
const API_TOKEN = /acm_[A-Za-z0-9_-]{20,}/g;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactText(text: string): string {
  return text.replace(PEM_PRIVATE_KEY, REDACTED).replace(API_TOKEN, REDACTED);
}

/**
 * Returns a copy of `value` with secret-named keys replaced at any depth. Only plain objects and
 * arrays are walked (request objects, errors and buffers are left to their serializers).
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth > 12) return value;
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1)) as T;
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = isSecretKey(key) && inner !== undefined && inner !== null ? REDACTED : redactSecrets(inner, depth + 1);
  }
  return copy as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
