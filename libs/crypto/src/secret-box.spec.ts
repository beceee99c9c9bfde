import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32).toString('base64'));
  const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal(pem, 'cert:a');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(box.open(sealed, 'cert:a')).toBe(pem);
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal(pem, 'x')).not.toBe(box.seal(pem, 'x'));
  });

  it('refuses another context, another key and a tampered value', () => {
    const sealed = box.seal(pem, 'cert:a');
    expect(() => box.open(sealed, 'cert:b')).toThrow(/does not open/);
    expect(() => new SecretBox(randomBytes(32).toString('base64')).open(sealed, 'cert:a')).toThrow(/does not open/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('X' + Buffer.from(parts[3], 'base64url').toString('latin1').slice(1), 'latin1').toString(
      'base64url',
    );
    expect(() => box.open(parts.join('.'), 'cert:a')).toThrow(/does not open/);
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
