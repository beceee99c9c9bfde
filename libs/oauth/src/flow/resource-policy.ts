import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

/** Organisations and teams (lower-case; teams `org/team-slug`) named for a resource. */
export interface MembershipSubjects {
  readonly orgs: readonly string[];
  readonly teams: readonly string[];
}

/** Answers whether tokens may be issued for a resource (canonical RFC 8707 URI). */
export interface ResourceLookup {
  isAllowed(resource: string): boolean;
  /**
   * The organisations and teams the resource's target (`required_orgs`, `required_teams`) and its
   * MCP policy's rules name: a token for it carries the user's memberships among these (`orgs`,
   * `teams` claims), read from GitHub (docs/oauth.md, "Organisations and teams").
   */
  membershipSubjects(resource: string): MembershipSubjects;
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

  /** The union of `membershipSubjects` over the resources of one grant (lower-case, no duplicates). */
  membershipSubjects(resources: readonly string[]): MembershipSubjects {
    const orgs = new Set<string>();
    const teams = new Set<string>();
    for (const r of resources) {
      const s = this.lookup?.membershipSubjects(r);
      s?.orgs.forEach((o) => orgs.add(o));
      s?.teams.forEach((t) => teams.add(t));
    }
    return { orgs: [...orgs], teams: [...teams] };
  }
}
