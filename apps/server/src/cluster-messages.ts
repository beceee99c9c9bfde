/** IPC message a cluster worker sends once its listeners are open and it serves. */
export const WORKER_READY = 'proxy:worker:ready';
