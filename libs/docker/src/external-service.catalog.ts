import { Injectable } from '@nestjs/common';
import { Conflict, Invalid, NotFound } from '@app/http';
import { AuthContext } from '@app/tokens';
import { CreateExternalServiceDto, ExternalServiceDto } from './dto/service.dto';
import { ExternalServiceRecord, ExternalServiceRegistry } from './external-service.registry';
import { ServicesRepository } from './services.repository';
import { RESERVED_SERVICE_NAMES } from './service-creation.policy';

/** External services: a name for a URL that is not a managed container. Names are shared with Docker services. */
@Injectable()
export class ExternalServiceCatalog {
  constructor(
    private readonly registry: ExternalServiceRegistry,
    private readonly services: ServicesRepository,
  ) {}

  async create(auth: AuthContext, input: CreateExternalServiceDto): Promise<ExternalServiceDto> {
    if (RESERVED_SERVICE_NAMES.includes(input.service_name))
      throw Invalid(`service_name "${input.service_name}" is reserved (an API path); choose another`);
    if (await this.services.find(input.service_name))
      throw Conflict(`a Docker service named "${input.service_name}" already exists`);
    const record: ExternalServiceRecord = {
      name: input.service_name,
      target_url: input.target_url,
      description: input.description,
      owner: auth.tokenName,
      created_at: new Date().toISOString(),
    };
    if (!(await this.registry.create(record)))
      throw Conflict(`an external service named "${input.service_name}" already exists`);
    return toDto(record);
  }

  async list(auth: AuthContext): Promise<ExternalServiceDto[]> {
    return (await this.registry.list()).filter((r) => auth.canAccess(r.owner)).map(toDto);
  }

  async delete(auth: AuthContext, name: string): Promise<ExternalServiceDto> {
    const record = await this.registry.find(name);
    if (!record) throw NotFound(`external service "${name}"`);
    auth.assertOwner(record.owner, `external service "${name}"`);
    await this.registry.remove(name);
    return toDto(record);
  }
}

function toDto(r: ExternalServiceRecord): ExternalServiceDto {
  return {
    service_name: r.name,
    type: 'external',
    target_url: r.target_url,
    description: r.description ?? null,
    owner: r.owner,
    created_at: r.created_at,
  };
}
