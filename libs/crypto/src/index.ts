export { CryptoModule } from './crypto.module';
export { SecretBox } from './secret-box';
export { StorageCrypto } from './storage-crypto';
