import { ServerProcess } from '../support/server-process';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId: string;
}

/**
 * Issue 16, class 9: admin API JSON bodies are bounded in depth and key count and may not carry
 * prototype keys; each refusal is a 400 that names the limit, never a 500, and the server stays healthy.
 */
describe('admin API JSON input', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const post = (body: string, path = '/api/v1/proxy/targets', contentType = 'application/json') =>
    server.api<ErrorBody>('POST', path, { body, headers: { 'content-type': contentType } });
  const healthy = async () => (await server.api('GET', '/health', { token: null })).status;

  it('refuses deep nesting (100 000 levels) with 400 naming the depth limit', async () => {
    const depth = 100_000;
    const arrays = await post(
      `{"hostname":${'['.repeat(depth)}${']'.repeat(depth)},"target_url":"http://127.0.0.1:9"}`,
    );
    expect([arrays.status, arrays.body.message]).toEqual([
      400,
      'request body nests JSON deeper than 32 levels; flatten it',
    ]);
    const objects = await post(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    expect([objects.status, objects.body.message]).toEqual([
      400,
      'request body nests JSON deeper than 32 levels; flatten it',
    ]);
    // The same on another endpoint, with a charset parameter.
    const charset = await post(
      `[${'['.repeat(40)}${']'.repeat(40)}]`,
      '/api/v1/routes',
      'application/json; charset=utf-8',
    );
    expect([charset.status, charset.body.message]).toEqual([
      400,
      'request body nests JSON deeper than 32 levels; flatten it',
    ]);
    expect(await healthy()).toBe(200);
  });

  it('refuses more than 10 000 keys in total with 400 naming the limit', async () => {
    const flat = `{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":1`).join(',')}}`;
    const many = await post(flat);
    expect([many.status, many.body.message]).toEqual([
      400,
      'request body has more than 10000 JSON object keys; send fewer',
    ]);
    // Spread over many small objects: the limit counts every key in the body.
    const spread = `{"custom_headers":[${Array.from({ length: 3_400 }, () => '{"a":1,"b":2,"c":3}').join(',')}]}`;
    const spreadRes = await post(spread);
    expect([spreadRes.status, spreadRes.body.message]).toEqual([
      400,
      'request body has more than 10000 JSON object keys; send fewer',
    ]);
    expect(await healthy()).toBe(200);
  });

  it('refuses __proto__, constructor and prototype keys at any depth and in any escaped spelling', async () => {
    const bodies: [string, string][] = [
      ['{"__proto__":{"isAdmin":true},"hostname":"x.test","target_url":"http://127.0.0.1:9"}', '__proto__'],
      [
        '{"hostname":"x.test","target_url":"http://127.0.0.1:9","custom_headers":{"constructor":{"prototype":{"x":1}}}}',
        'constructor',
      ],
      ['{"hostname":"x.test","target_url":"http://127.0.0.1:9","custom_headers":{"prototype":"x"}}', 'prototype'],
      ['{"\\u005f_pro\\u0074o__":{"x":1},"hostname":"x.test","target_url":"http://127.0.0.1:9"}', '__proto__'],
    ];
    for (const [body, key] of bodies) {
      const res = await post(body);
      expect([res.status, res.body.message]).toEqual([
        400,
        `request body uses the JSON key "${key}", which is not allowed`,
      ]);
    }
    // A string value that spells a forbidden name is fine: only keys are refused.
    const value = await post(
      '{"hostname":"proto.test","target_url":"http://127.0.0.1:9","custom_headers":{"X-Note":"__proto__"}}',
    );
    expect(value.status).toBe(201);
    expect(
      (await server.api<{ hostname: string }[]>('GET', '/api/v1/proxy/targets')).body.map((t) => t.hostname),
    ).toEqual(['proto.test']);
  });

  it('still accepts ordinary bodies (strings with brackets, colons and escapes inside) and stays healthy', async () => {
    const ok = await post(
      JSON.stringify({
        hostname: 'plain.test',
        target_url: 'http://127.0.0.1:9',
        custom_headers: { 'X-Tricky': '[[[{{{ "a": 1 }}}]]] \\" :::' },
      }),
    );
    expect(ok.status).toBe(201);
    const shown = await server.api<{ custom_headers: Record<string, string> }>(
      'GET',
      '/api/v1/proxy/targets/plain.test',
    );
    expect(shown.body.custom_headers).toEqual({ 'X-Tricky': '[[[{{{ "a": 1 }}}]]] \\" :::' });
    const nested = await post(
      `{"hostname":"nested.test","target_url":"http://127.0.0.1:9","custom_headers":${'{"a":'.repeat(30)}"x"${'}'.repeat(30)}}`,
    );
    expect(nested.status).toBe(400); // within the limits: the DTO's own validation answers
    expect(nested.body.message).not.toMatch(/levels|keys/);
    const malformed = await post('{"hostname": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/not valid JSON/);
    expect(await healthy()).toBe(200);
  });
});
