import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** Flattens nested validation errors into "field.sub: problem" sentences that say what to fix. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((m) => atPath(m, error.property, path));
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
}

/** A constraint message about `property` restated about its full `path` (the message names it, or is prefixed). */
function atPath(message: string, property: string, path: string): string {
  const phrase = `property ${property} `;
  if (message.startsWith(phrase)) return `property ${path} ${message.slice(phrase.length)}`;
  if (message.startsWith(property)) return `${path}${message.slice(property.length)}`;
  return `${path}: ${message}`;
}

/** Whitelist, refuse unknown fields, transform to DTO classes. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: (errors) => new BadRequestException(describeValidationErrors(errors).join('; ')),
  });
}
