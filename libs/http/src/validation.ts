import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** Flattens nested validation errors into "field.sub: problem" sentences that say what to fix. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((m) =>
      m.startsWith(`property ${error.property} `)
        ? `property ${path} ${m.slice(`property ${error.property} `.length)}`
        : m.startsWith(error.property)
          ? `${path}${m.slice(error.property.length)}`
          : `${path}: ${m}`,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
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
