/** Failure kinds the API maps to HTTP statuses (see ApiExceptionFilter). */
export type DomainErrorCode = 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'unavailable';

/** A failure a service reports in domain terms; the exception filter picks the HTTP status. */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const NotFound = (what: string) => new DomainError('not_found', `${what} not found`);
export const Conflict = (message: string) => new DomainError('conflict', message);
export const Forbidden = (message: string) => new DomainError('forbidden', message);
export const Invalid = (message: string) => new DomainError('invalid', message);
