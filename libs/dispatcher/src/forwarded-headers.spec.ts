import { downstreamRawHeaders, downstreamResponseHeaders, upstreamRequestHeaders } from './forwarded-headers';

describe('forwarded headers', () => {
  const ctx = { clientIp: '198.51.100.4', proto: 'https' as const, originalHost: 'app.test', hostHeader: 'app.test' };

  it('removes client identity headers and sets the proxy own', () => {
    const out = upstreamRequestHeaders(
      {
        host: 'app.test',
        'x-forwarded-for': '1.1.1.1',
        'x-forwarded-host': 'evil.test',
        'x-forwarded-proto': 'http',
        forwarded: 'for=1.1.1.1',
        'x-real-ip': '1.1.1.1',
        'x-auth-user': 'admin',
        'x-auth-email': 'root@example.com',
        accept: 'text/html',
      },
      ctx,
    );
    expect(out).toEqual({
      accept: 'text/html',
      host: 'app.test',
      'x-forwarded-for': '198.51.100.4',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.test',
      'x-real-ip': '198.51.100.4',
    });
  });

  it('drops hop-by-hop headers, including those named in Connection, and keeps upgrades only when asked', () => {
    const incoming = {
      host: 'a',
      connection: 'keep-alive, x-secret',
      'keep-alive': 'timeout=5',
      'x-secret': '1',
      te: 'trailers',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      'x-ok': '1',
    };
    expect(upstreamRequestHeaders(incoming, ctx)).not.toHaveProperty('x-secret');
    expect(Object.keys(upstreamRequestHeaders(incoming, ctx)).sort()).toEqual([
      'host',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-forwarded-proto',
      'x-ok',
      'x-real-ip',
    ]);
    expect(upstreamRequestHeaders(incoming, { ...ctx, upgrade: 'websocket' })).toMatchObject({
      connection: 'Upgrade',
      upgrade: 'websocket',
    });
  });

  it('removes identity headers in every spelling (any case arrives lower-case; `_` for `-`)', () => {
    const out = upstreamRequestHeaders(
      {
        x_forwarded_for: '1',
        'x-forwarded_host': '2',
        x_real_ip: '3',
        'x-real_ip': '4',
        x_auth_user_name: '5',
        'x-auth_scopes': '6',
        x_team: '7',
        x_custom_ok: 'kept',
        accept_language: 'kept',
      },
      {
        ...ctx,
        customHeaders: { 'X-Team': 'a' },
        authHeaders: { 'x-user-name': 'alice' },
        removeHeaders: ['x_user_login'],
      },
    );
    expect(Object.keys(out).filter((name) => name.includes('_'))).toEqual(['x_custom_ok', 'accept_language']);
    expect(out).toMatchObject({ 'x-forwarded-for': '198.51.100.4', 'x-team': 'a', 'x-user-name': 'alice' });
    expect(
      upstreamRequestHeaders({ x_user_name: 'mallory' }, { ...ctx, authHeaders: { 'X-User-Name': 'alice' } }),
    ).not.toHaveProperty('x_user_name');
  });

  it('keeps the framing and the Host whatever Connection lists, and sends no length with an upgrade', () => {
    const incoming = {
      host: 'a',
      connection: 'content-length, transfer-encoding, host',
      'content-length': '12',
      'transfer-encoding': 'chunked',
    };
    expect(upstreamRequestHeaders(incoming, ctx)).toMatchObject({ 'content-length': '12', host: 'app.test' });
    expect(upstreamRequestHeaders(incoming, ctx)).not.toHaveProperty('transfer-encoding');
    expect(
      upstreamRequestHeaders({ host: 'a', 'content-length': '5' }, { ...ctx, upgrade: 'websocket' }),
    ).not.toHaveProperty('content-length');
  });

  it('applies custom headers, then the auth policy headers last', () => {
    const out = upstreamRequestHeaders(
      { 'x-auth-user': 'spoof' },
      { ...ctx, hostHeader: '127.0.0.1:9', customHeaders: { 'X-Team': 'a' }, authHeaders: { 'X-Auth-User': 'alice' } },
    );
    expect(out).toMatchObject({ host: '127.0.0.1:9', 'x-team': 'a', 'x-auth-user': 'alice' });
  });

  it('drops the headers the auth policy names (no token passthrough)', () => {
    const out = upstreamRequestHeaders(
      { authorization: 'Bearer secret', 'x-user-name': 'mallory', accept: '*/*' },
      { ...ctx, removeHeaders: ['authorization', 'x-user-name'], authHeaders: { 'X-User-Name': 'alice' } },
    );
    expect(out.authorization).toBeUndefined();
    expect(out['x-user-name']).toBe('alice');
    expect(out.accept).toBe('*/*');
  });

  it('filters response hop-by-hop headers and adds custom response headers', () => {
    expect(
      downstreamResponseHeaders(
        {
          connection: 'close',
          'transfer-encoding': 'chunked',
          'set-cookie': ['a=1', 'b=2'],
          'content-type': 'text/plain',
        },
        { 'X-Frame-Options': 'DENY' },
      ),
    ).toEqual({
      'set-cookie': ['a=1', 'b=2'],
      'content-type': 'text/plain',
      'x-frame-options': 'DENY',
    });
  });

  it('builds the client response headers straight from raw pairs, the same rules as from objects', () => {
    const raw = [
      'Content-Type',
      'text/event-stream',
      'Connection',
      'keep-alive, X-Secret',
      'X-Secret',
      's',
      'Keep-Alive',
      'timeout=5',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'X-Frame-Options',
      'SAMEORIGIN',
      'X-Request-Id',
      'backend-id',
      'Transfer-Encoding',
      'chunked',
    ].map((v) => Buffer.from(v));
    const { headers, contentType } = downstreamRawHeaders(
      raw,
      { 'X-Frame-Options': 'DENY' },
      { 'x-request-id': 'ours' },
    );
    expect(contentType).toBe('text/event-stream');
    expect(headers).toEqual([
      'content-type',
      'text/event-stream',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
      'x-frame-options',
      'DENY',
      'x-request-id',
      'ours',
    ]);
  });
});
