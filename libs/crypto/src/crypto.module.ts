import { Global, Module } from '@nestjs/common';
import { StorageCrypto } from './storage-crypto';

@Global()
@Module({ providers: [StorageCrypto], exports: [StorageCrypto] })
export class CryptoModule {}
