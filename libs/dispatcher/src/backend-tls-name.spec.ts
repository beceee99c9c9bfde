import { backendServerName } from './backend-tls-name';

describe('backendServerName', () => {
  it('is the DNS name of the target URL, and none for an IP literal (RFC 6066)', () => {
    expect(backendServerName('backend.internal')).toBe('backend.internal');
    expect(backendServerName(new URL('https://10.0.0.5:8443').hostname)).toBe('');
    expect(backendServerName(new URL('https://[::1]:8443').hostname)).toBe('');
    expect(backendServerName('::1')).toBe('');
  });
});
