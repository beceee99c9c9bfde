import type { IncomingMessage } from 'node:http';
import type { RequestIdentity } from './exchange';
import type { McpDecision, McpGovernance } from './mcp/governance';
import type { PublicRequestInfo } from './public-surface.registry';
import type { ResolvedTarget } from './routing-table';

/** What the auth policy of a target decided for one request. */
export type AuthDecision =
  | {
      action: 'forward';
      setHeaders?: Record<string, string>;
      /** Client request headers (lower-case names) not to pass on, e.g. `authorization` (no token passthrough). */
      removeHeaders?: readonly string[];
      /** Headers added to the backend's response (the target's custom_response_headers win). */
      responseHeaders?: Record<string, string>;
      /** Who the request is from, for the request log. */
      identity?: RequestIdentity;
      /**
       * The request is an authenticated one to a protected MCP endpoint: a JSON POST is read and
       * checked as JSON-RPC before it is forwarded (mcp/mcp-inspection.ts).
       */
      inspectMcp?: boolean;
      /** The caller's MCP policy on this resource, applied to inspected requests (mcp/governance.ts). */
      mcp?: McpGovernance;
      /** When the credential expires (epoch s): an upgraded connection it opened is closed then. */
      expiresAt?: number;
    }
  | {
      action: 'respond';
      status: number;
      headers?: Record<string, string>;
      body?: string;
      identity?: RequestIdentity;
      /** The audit decision of a refusal (request log `decision`): a 403 is denied-scope or denied-identity. */
      decision?: McpDecision;
    };

/**
 * Per-request auth policy, called before forwarding (HTTP and WebSocket) unless the matched route
 * says `bypass_auth`. The protection module provides it (`TARGET_AUTH_POLICY`); without one, a
 * target with auth settings is refused (503, fail closed) and only targets without them are forwarded. Headers in `setHeaders` are added after the client's identity headers were removed.
 * `identity` (the OAuth user and client the token belongs to, when known) goes into the request log
 * as `auth_user` / `oauth_client_id`.
 */
export interface TargetAuthPolicy {
  decide(req: IncomingMessage, target: ResolvedTarget, info: PublicRequestInfo): AuthDecision | Promise<AuthDecision>;
  /**
   * For a `bypass_auth` route: no auth decision, but the headers the policy owns on this host (its
   * identity headers, its session cookie) are still kept from the backend. Always a `forward`.
   */
  bypass?(req: IncomingMessage, info: PublicRequestInfo): AuthDecision;
}

export const TARGET_AUTH_POLICY = Symbol('TARGET_AUTH_POLICY');
