import { Injectable } from '@nestjs/common';

/**
 * Which resources (RFC 8707) a client may ask tokens for. Without a lookup (the OAuth module on its
 * own) any absolute http(s) resource is accepted; the protection module installs one at start
 * (`use`) that accepts only the resources of the registry and of protected proxy targets, read from
 * its in-memory view.
 */
@Injectable()
export class ResourcePolicy {
  private lookup?: (resource: string) => boolean;

  /** Installs the lookup (canonical resource URI → allowed). */
  use(lookup: (resource: string) => boolean): void {
    this.lookup = lookup;
  }

  isAllowed(resource: string): Promise<boolean> {
    return Promise.resolve(this.lookup ? this.lookup(resource) : true);
  }
}
