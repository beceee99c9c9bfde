import { Conflict, NotFound } from '@app/http';
import { AuthContext } from '@app/tokens';
import { ServiceRecord } from './service.record';
import { ServicesRepository } from './services.repository';

/** The caller's service by name: 404 when absent, 403 when another token's. */
export async function requireService(
  repository: ServicesRepository,
  auth: AuthContext,
  name: string,
): Promise<ServiceRecord> {
  const record = await repository.find(name);
  if (!record) throw NotFound(`service "${name}"`);
  auth.assertOwner(record.owner, `service "${name}"`);
  return record;
}

/** 409 while the service has no container to act on (being made, or failed). */
export function assertHasContainer(record: ServiceRecord): void {
  const { state, reason } = record.lifecycle;
  if (!record.container_id || state === 'requested' || state === 'failed') {
    throw Conflict(`service "${record.name}" has no container (lifecycle ${state}${reason ? `: ${reason}` : ''})`);
  }
}
