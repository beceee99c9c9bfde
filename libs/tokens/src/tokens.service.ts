import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Conflict, Invalid, NotFound } from '@app/http';
import { ADMIN_TOKEN_NAME, AuthContext } from './auth-context';
import {
  CallerDto,
  CreateTokenDto,
  TokenDeletedDto,
  TokenDto,
  TokenSecretDto,
  TokenWithOwnershipDto,
} from './dto/token.dto';
import { generateApiToken, hashApiToken } from './token-secrets';
import { TokenDeletionCascade } from './token-deletion-cascade';
import { TokenRecord } from './token.record';
import { TokensRepository } from './tokens.repository';

@Injectable()
export class TokensService {
  constructor(
    private readonly tokens: TokensRepository,
    private readonly ownership: TokenDeletionCascade,
    private readonly config: AppConfig,
  ) {}

  async create(input: CreateTokenDto): Promise<TokenSecretDto> {
    if (input.name.toUpperCase() === ADMIN_TOKEN_NAME)
      throw Invalid(`name "${input.name}" is reserved for the admin token`);
    const token = generateApiToken();
    const record: TokenRecord = {
      name: input.name,
      token_hash: hashApiToken(token),
      cert_email: input.cert_email,
      created_at: new Date().toISOString(),
    };
    if (!(await this.tokens.create(record))) throw Conflict(`a token named "${input.name}" already exists`);
    return { ...toDto(record), token };
  }

  async list(): Promise<TokenWithOwnershipDto[]> {
    const records = await this.tokens.list();
    return Promise.all(records.map(async (r) => ({ ...toDto(r), owned: await this.ownership.count(r.name) })));
  }

  async show(name: string): Promise<TokenWithOwnershipDto> {
    const record = await this.require(name);
    return { ...toDto(record), owned: await this.ownership.count(name) };
  }

  /** Deletes what the token owns first, so a failure half-way leaves the token to retry with. */
  async delete(name: string): Promise<TokenDeletedDto> {
    const record = await this.require(name);
    const deleted = await this.ownership.deleteAll(name);
    await this.tokens.delete(record);
    return { name, deleted };
  }

  async rotate(name: string): Promise<TokenSecretDto> {
    const previous = await this.require(name);
    const token = generateApiToken();
    const next: TokenRecord = { ...previous, token_hash: hashApiToken(token), rotated_at: new Date().toISOString() };
    if (!(await this.tokens.replace(previous, next))) throw NotFound(`token "${name}"`);
    return { ...toDto(next), token };
  }

  async describeCaller(auth: AuthContext): Promise<CallerDto> {
    if (auth.isAdmin)
      return { name: ADMIN_TOKEN_NAME, is_admin: true, cert_email: this.config.adminEmail ?? null, created_at: null };
    const record = await this.require(auth.tokenName);
    return { name: record.name, is_admin: false, cert_email: record.cert_email ?? null, created_at: record.created_at };
  }

  async updateCallerEmail(auth: AuthContext, certEmail: string): Promise<CallerDto> {
    if (auth.isAdmin) throw Invalid('the admin token has no stored e-mail: set ADMIN_EMAIL in the environment');
    const previous = await this.require(auth.tokenName);
    if (!(await this.tokens.replace(previous, { ...previous, cert_email: certEmail })))
      throw NotFound(`token "${auth.tokenName}"`);
    return this.describeCaller(auth);
  }

  private async require(name: string): Promise<TokenRecord> {
    const record = await this.tokens.findByName(name);
    if (!record) throw NotFound(`token "${name}"`);
    return record;
  }
}

function toDto(record: TokenRecord): TokenDto {
  return {
    name: record.name,
    cert_email: record.cert_email ?? null,
    created_at: record.created_at,
    rotated_at: record.rotated_at ?? null,
  };
}
