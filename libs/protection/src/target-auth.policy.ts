import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AuthDecision, PublicRequestInfo, ResolvedTarget, TargetAuthPolicy } from '@app/dispatcher';
import { PREFLIGHT_HEADERS, ProtectionDecider } from './protection-decider';

/**
 * The dispatcher's auth policy (TARGET_AUTH_POLICY): decides from memory whether a request to a
 * proxy target goes through, and with which identity headers. The client's Authorization header is
 * removed unless the target opts in (`forward_authorization`), and client copies of identity
 * headers with a custom prefix are removed too (X-Auth-* the dispatcher removes itself).
 */
@Injectable()
export class ProtectionPolicy implements TargetAuthPolicy {
  constructor(private readonly decider: ProtectionDecider) {}

  decide(req: IncomingMessage, resolved: ResolvedTarget, info: PublicRequestInfo): AuthDecision {
    const protection = this.decider.protection(info.host);
    if (!protection) return { action: 'forward' };
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const outcome = this.decider.decide(
      {
        host: info.host,
        path: info.path,
        query: q >= 0 ? rawUrl.slice(q + 1) : '',
        method: info.method,
        origin: `${info.secure ? 'https' : 'http'}://${req.headers.host ?? info.host}`,
        authorization: req.headers.authorization,
      },
      protection,
    );
    switch (outcome.kind) {
      case 'unprotected':
        return { action: 'forward' };
      case 'preflight':
        return { action: 'respond', status: 204, headers: PREFLIGHT_HEADERS };
      case 'deny': {
        const body = JSON.stringify({ error: outcome.error, error_description: outcome.description });
        return { action: 'respond', status: outcome.status, headers: { ...outcome.headers, 'content-type': 'application/json' }, body };
      }
      case 'allow': {
        const prefix = protection.auth.header_prefix.toLowerCase();
        const removeHeaders = Object.keys(req.headers).filter((name) => name.startsWith(prefix) || (name === 'authorization' && !protection.auth.forward_authorization));
        return { action: 'forward', setHeaders: outcome.identity, removeHeaders };
      }
    }
  }
}
