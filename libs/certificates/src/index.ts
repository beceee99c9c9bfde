export { CertificateOwnership } from './certificate-ownership';
export { CertificatesModule } from './certificates.module';
export {
  CertificatesService,
  type CertificateForHostname,
  type EnsureCertificateOptions,
} from './certificates.service';
export { TlsContextModule } from './tls-context.module';
export { CertificateContextCache, TLS_CONTEXT_PROVIDER, type TlsContextProvider } from './tls-context.provider';
export { defaultCertificateName } from './certificate-names';
export { SystemCertificates, SYSTEM_OWNER, type SystemCertificateState } from './system-certificates';
