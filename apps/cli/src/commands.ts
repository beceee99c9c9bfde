import type { ColumnSpec, ResourceSpec } from './command-spec';

/**
 * Every command of the CLI, one entry per API operation. To add a resource, append a ResourceSpec
 * (see command-spec.ts); parsing, help, requests, tables and `--json` need no other change.
 */
const countsColumn = (header: string, key: string): ColumnSpec => ({
  header,
  key,
  format: (value) => {
    const entries = Object.entries((value ?? {}) as Record<string, number>).filter(([, n]) => n > 0);
    return entries.length === 0 ? '-' : entries.map(([kind, n]) => `${kind}=${n}`).join(',');
  },
});

const tokenColumns: ColumnSpec[] = [
  { header: 'NAME', key: 'name' },
  { header: 'CERT EMAIL', key: 'cert_email' },
  { header: 'CREATED', key: 'created_at' },
  { header: 'ROTATED', key: 'rotated_at' },
  countsColumn('OWNS', 'owned'),
];

export const COMMANDS: ResourceSpec[] = [
  {
    resource: 'health',
    summary: 'Server and Redis health (no token needed)',
    defaultVerb: 'show',
    verbs: [{ verb: 'show', summary: 'Show health; exits 1 when degraded', method: 'GET', path: '/health', public: true, printBodyOnError: true }],
  },
  {
    resource: 'token',
    aliases: ['tokens'],
    summary: 'API tokens',
    verbs: [
      {
        verb: 'create',
        summary: 'Create a token; its value is shown once',
        method: 'POST',
        path: '/api/v1/tokens',
        args: [{ name: 'name', in: 'body', description: 'unique name: letters, digits, _ . -' }],
        options: [{ flag: 'cert-email', type: 'string', description: 'e-mail for ACME certificates created with this token' }],
        note: 'Store the token now: it is never shown again.',
      },
      { verb: 'list', summary: 'List tokens with what they own', method: 'GET', path: '/api/v1/tokens', columns: tokenColumns },
      { verb: 'show', summary: 'Show one token', method: 'GET', path: '/api/v1/tokens/{name}', args: [{ name: 'name', description: 'token name' }] },
      {
        verb: 'delete',
        summary: 'Delete a token and everything it owns',
        method: 'DELETE',
        path: '/api/v1/tokens/{name}',
        args: [{ name: 'name', description: 'token name' }],
      },
      {
        verb: 'rotate',
        summary: 'Replace a token value; the new value is shown once',
        method: 'POST',
        path: '/api/v1/tokens/{name}/rotate',
        args: [{ name: 'name', description: 'token name' }],
        note: 'Store the token now: it is never shown again.',
      },
      { verb: 'me', summary: 'Show the calling token', method: 'GET', path: '/api/v1/tokens/me' },
      {
        verb: 'email',
        summary: "Set the calling token's certificate e-mail",
        method: 'PUT',
        path: '/api/v1/tokens/me/email',
        args: [{ name: 'cert_email', in: 'body', description: 'e-mail address' }],
      },
    ],
  },
];
