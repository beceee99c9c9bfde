import { Injectable } from '@nestjs/common';

/**
 * Which resources (RFC 8707) a client may ask tokens for. This default accepts any absolute http(s)
 * resource; the protected-resource registry replaces it (provide another class for ResourcePolicy)
 * to accept only the resources of protected proxy targets.
 */
@Injectable()
export class ResourcePolicy {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  isAllowed(resource: string): Promise<boolean> {
    return Promise.resolve(true);
  }
}
