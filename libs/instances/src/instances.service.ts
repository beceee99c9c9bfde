import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Conflict, Forbidden, Invalid, NotFound } from '@app/http';
import { ADMIN_TOKEN_NAME, AuthContext } from '@app/tokens';
import { CreateInstanceDto, InstanceDeletedDto, InstanceDto, UpdateInstanceDto } from './dto/instance.dto';
import { InstanceRecord } from './instance.record';
import { InstancesRepository } from './instances.repository';

/** The built-in instance: the admin API itself. */
export const ADMIN_API_INSTANCE = 'api';

/** The host to reach a listener bound to `bind`: loopback for a wildcard bind, an IPv6 address bracketed. */
function hostOf(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::') return '127.0.0.1';
  if (bind.includes(':')) return `[${bind}]`;
  return bind;
}

@Injectable()
export class InstancesService {
  constructor(
    private readonly repository: InstancesRepository,
    private readonly config: AppConfig,
  ) {}

  /** The admin API as a route target (loopback when the admin listener binds every address). */
  builtin(): InstanceDto {
    const host = hostOf(this.config.apiBind);
    return {
      name: ADMIN_API_INSTANCE,
      target_url: `http://${host}:${this.config.apiPort}`,
      description: 'The admin API of this server (built in)',
      owner: ADMIN_TOKEN_NAME,
      builtin: true,
      created_at: null,
      updated_at: null,
    };
  }

  /** Every instance including the built-in one, as the dispatcher sees them. */
  async all(): Promise<InstanceDto[]> {
    return [this.builtin(), ...(await this.repository.list()).map(toDto)];
  }

  async list(auth: AuthContext): Promise<InstanceDto[]> {
    return [this.builtin(), ...(await this.repository.list()).filter((r) => auth.canAccess(r.owner)).map(toDto)];
  }

  async show(auth: AuthContext, name: string): Promise<InstanceDto> {
    if (name === ADMIN_API_INSTANCE) return this.builtin();
    return toDto(await this.require(auth, name));
  }

  async create(auth: AuthContext, input: CreateInstanceDto): Promise<InstanceDto> {
    if (input.name === ADMIN_API_INSTANCE)
      throw Invalid(`name "${ADMIN_API_INSTANCE}" is the built-in admin API instance; choose another name`);
    const record: InstanceRecord = {
      name: input.name,
      target_url: input.target_url,
      description: input.description ?? '',
      owner: auth.tokenName,
      created_at: new Date().toISOString(),
    };
    if (!(await this.repository.create(record))) throw Conflict(`an instance named "${input.name}" already exists`);
    return toDto(record);
  }

  async update(auth: AuthContext, name: string, input: UpdateInstanceDto): Promise<InstanceDto> {
    if (name === ADMIN_API_INSTANCE) throw Forbidden(`"${ADMIN_API_INSTANCE}" is built in and cannot be changed`);
    const previous = await this.require(auth, name);
    const next: InstanceRecord = {
      ...previous,
      target_url: input.target_url ?? previous.target_url,
      description: input.description ?? previous.description,
      updated_at: new Date().toISOString(),
    };
    await this.repository.replace(next);
    return toDto(next);
  }

  async delete(auth: AuthContext, name: string): Promise<InstanceDeletedDto> {
    if (name === ADMIN_API_INSTANCE) throw Forbidden(`"${ADMIN_API_INSTANCE}" is built in and cannot be deleted`);
    await this.require(auth, name);
    await this.repository.delete([name]);
    return { name, deleted: true };
  }

  /**
   * For modules that keep their own entries in this registry (the docker module's external
   * services): no ownership check here, the caller applies its own. `null` for unknown names; the
   * built-in `api` instance is never returned.
   */
  async findStored(name: string): Promise<InstanceDto | null> {
    if (name === ADMIN_API_INSTANCE) return null;
    const record = await this.repository.find(name);
    return record ? toDto(record) : null;
  }

  /** Stored instances (without the built-in one), for the same callers. */
  async listStored(): Promise<InstanceDto[]> {
    return (await this.repository.list()).map(toDto);
  }

  /** Adds an entry owned by `owner`; false when the name is taken (`api` always is). */
  async register(
    owner: string,
    entry: { name: string; target_url: string; description?: string; created_at?: string },
  ): Promise<boolean> {
    if (entry.name === ADMIN_API_INSTANCE) return false;
    return this.repository.create({
      name: entry.name,
      target_url: entry.target_url,
      description: entry.description ?? '',
      owner,
      created_at: entry.created_at ?? new Date().toISOString(),
    });
  }

  /** Removes an entry (no ownership check; the caller's). */
  async unregister(name: string): Promise<void> {
    if (name === ADMIN_API_INSTANCE) return;
    await this.repository.delete([name]);
  }

  private async require(auth: AuthContext, name: string): Promise<InstanceRecord> {
    const record = await this.repository.find(name);
    if (!record) throw NotFound(`instance "${name}"`);
    auth.assertOwner(record.owner, `instance "${name}"`);
    return record;
  }
}

function toDto(r: InstanceRecord): InstanceDto {
  return {
    name: r.name,
    target_url: r.target_url,
    description: r.description,
    owner: r.owner,
    builtin: false,
    created_at: r.created_at,
    updated_at: r.updated_at ?? null,
  };
}
