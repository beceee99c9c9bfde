import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { accumulatedScopes } from '../protocol/scopes';
import { GrantExchange } from '../tokens/grant-exchange';
import { ConsentRepository } from './consent.repository';
import { AuthorizationRequestRecord, OAuthUser } from './flow.records';

/** What the consent page has to ask: the requested scopes not approved yet, and those already approved. */
export interface ConsentReview {
  added: string[];
  already: string[];
}

/**
 * Consent and step-up: a user approves each scope once per client (re-authorizations that add
 * scopes ask only for the new ones), and an authorization carries what it asks plus what this user
 * already granted this client for the same resource, never beyond the current consent and OAUTH_SCOPES.
 */
@Injectable()
export class ConsentService {
  constructor(
    private readonly store: ConsentRepository,
    private readonly grants: GrantExchange,
    private readonly config: AppConfig,
  ) {}

  async review(login: string, request: AuthorizationRequestRecord): Promise<ConsentReview> {
    const consented = await this.store.consented(login, request.client_id);
    return {
      added: request.scopes.filter((s) => !consented.includes(s)),
      already: consented.filter((s) => this.config.oauth.scopes.includes(s)),
    };
  }

  /** The user approved the request: its scopes join those approved before; the TTL restarts for all of them. */
  approve(login: string, request: AuthorizationRequestRecord): Promise<void> {
    return this.store.approve(login, request.client_id, request.scopes, this.config.oauth.consentTtl);
  }

  /** The code for an approved request, with the accumulated scopes, which are remembered per resource. */
  async issueCode(request: AuthorizationRequestRecord, user: OAuthUser): Promise<string> {
    const { consentTtl, issuer, scopes: supported } = this.config.oauth;
    // A token without a resource is for the issuer (its `aud`): its grant is remembered under that name.
    const resources = request.resources.length > 0 ? request.resources : [issuer];
    const previous = await Promise.all(resources.map((r) => this.store.granted(user.id, request.client_id, r)));
    const consented = await this.store.consented(user.login, request.client_id);
    const scopes = accumulatedScopes(request.scopes, previous, consented, supported);
    await this.store.recordGranted(user.id, request.client_id, resources, scopes, consentTtl);
    return this.grants.issueCode({ ...request, scopes }, user);
  }
}
