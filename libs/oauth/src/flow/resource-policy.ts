import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

/** Answers whether tokens may be issued for a resource (canonical RFC 8707 URI). */
export interface ResourceLookup {
  isAllowed(resource: string): boolean;
}

/** Provided by the resources module (`@app/resources`): its in-memory view of the registry and of protected targets. */
export const RESOURCE_LOOKUP = Symbol('RESOURCE_LOOKUP');

/**
 * Which resources (RFC 8707) a client may ask tokens for: those the `RESOURCE_LOOKUP` knows. Without
 * a lookup (the OAuth module wired on its own) every resource is refused, never accepted.
 */
@Injectable()
export class ResourcePolicy {
  constructor(@Optional() @Inject(RESOURCE_LOOKUP) private readonly lookup?: ResourceLookup) {
    if (!lookup)
      new Logger(ResourcePolicy.name).error(
        'no resource lookup is provided (RESOURCE_LOOKUP): every resource indicator is refused',
      );
  }

  isAllowed(resource: string): Promise<boolean> {
    return Promise.resolve(this.lookup ? this.lookup.isAllowed(resource) : false);
  }
}
