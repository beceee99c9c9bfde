export { LoggingModule } from './logging.module';
export { redactSecrets, redactText, isSecretKey, REDACTED } from './redact';
