import { ReservedHostnames } from './reserved-hostnames';

describe('ReservedHostnames', () => {
  const reserved = new ReservedHostnames([
    { hostname: 'auth.example.com', role: "the authorization server's hostname (AUTH_HOSTNAME)" },
    { hostname: 'Admin.Example.com.', role: 'the admin hostname (ADMIN_HOSTNAME)' },
    { hostname: 'auth.example.com', role: "the OAuth issuer's hostname (OAUTH_ISSUER)" },
  ]);

  it('finds names in any spelling: case, trailing dots, IDN', () => {
    for (const name of [
      'auth.example.com',
      'AUTH.example.COM',
      'auth.example.com.',
      ' auth.example.com..',
      '\uff41\uff55\uff54\uff48.example.com',
    ]) {
      expect(reserved.find(name)?.hostname).toBe('auth.example.com');
    }
    expect(reserved.find('admin.example.com')?.hostname).toBe('admin.example.com');
    expect(reserved.find('api.example.com')).toBeUndefined();
    expect(reserved.find('auth.example.com.evil.test')).toBeUndefined();
  });

  it('counts a wildcard that covers a reserved name', () => {
    expect(reserved.find('*.example.com')?.hostname).toBe('auth.example.com');
    expect(reserved.find('*.other.com')).toBeUndefined();
    expect(reserved.find('*.com')).toBeUndefined();
  });

  it('keeps the first role when two settings name one host, and says which setting reserves it', () => {
    expect(reserved.all.map((r) => r.hostname)).toEqual(['auth.example.com', 'admin.example.com']);
    expect(reserved.problem('Auth.Example.com')).toBe(
      "auth.example.com is the authorization server's hostname (AUTH_HOSTNAME) and is reserved: only the admin token may use it",
    );
    expect(reserved.problem('app.example.com')).toBeNull();
  });
});
