import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** A stored value that does not match its class: names the key instead of failing somewhere later. */
export class CorruptRecordError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`stored value at ${key} is invalid: ${problem}`);
    this.name = 'CorruptRecordError';
  }
}

/** Parses and validates a JSON value read from Redis against its record class. */
export function decodeRecord<T extends object>(cls: ClassConstructor<T>, key: string, raw: string): T {
  let plain: unknown;
  try {
    plain = JSON.parse(raw);
  } catch {
    throw new CorruptRecordError(key, 'not JSON');
  }
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new CorruptRecordError(key, 'not a JSON object');
  }
  const record = plainToInstance(cls, plain);
  const errors = validateSync(record, { whitelist: true, forbidUnknownValues: false });
  if (errors.length > 0) {
    const detail = errors
      .map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ') || 'invalid'}`)
      .join('; ');
    throw new CorruptRecordError(key, detail);
  }
  return record;
}

export function encodeRecord(record: object): string {
  return JSON.stringify(record);
}
