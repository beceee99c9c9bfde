/** A form or JSON body as the OAuth endpoints read it: an object, or empty for anything else. */
export type Form = Record<string, unknown>;

export const form = (body: unknown): Form =>
  typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Form) : {};

/** A form field that is a non-empty string, or undefined. */
export const formString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
