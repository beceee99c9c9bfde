/**
 * What the docker module needs from proxy targets: publish `<name>.<BASE_DOMAIN>` → the service's
 * URL, and remove it again. Implemented by the proxy-targets module (not by this library); when no
 * implementation is bound, `auto_proxy` and `POST /services/{name}/proxy` answer 503.
 */
export interface ServiceProxyPublisher {
  publish(owner: string, hostname: string, targetUrl: string): Promise<void>;
  /** Removes the proxy target; with `deleteCertificate`, also its certificate. */
  unpublish(hostname: string, options: { deleteCertificate: boolean }): Promise<void>;
}

export const SERVICE_PROXY_PUBLISHER = Symbol('SERVICE_PROXY_PUBLISHER');
