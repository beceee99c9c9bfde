export { LogClock } from './clock';
export { HOST_OWNERSHIP_LOOKUP, HostOwnership, type HostOwnershipLookup } from './host-ownership';
export { oauthStep, type LogFilter, type OAuthStep } from './log-filter';
export {
  isErrorEntry,
  isServerError,
  LISTENERS,
  statusClassOf,
  type RequestLogEntry,
  type RequestLogListener,
  type StoredLogEntry,
} from './request-log-entry';
export { RequestLogModule } from './request-log.module';
export { RequestLogRetention } from './request-log.retention';
export { RequestLogStore } from './request-log.store';
export { RequestLogWriter } from './request-log.writer';
