import { parseArgv, UsageError } from './argv';

describe('parseArgv', () => {
  const booleans = new Set(['json', 'help', 'force']);

  it('separates positionals from flags in any order', () => {
    const parsed = parseArgv(['--json', 'token', 'create', 'ci', '--cert-email', 'ops@example.test'], booleans);
    expect(parsed.positionals).toEqual(['token', 'create', 'ci']);
    expect(Object.fromEntries(parsed.flags)).toEqual({ json: ['true'], 'cert-email': ['ops@example.test'] });
  });

  it('accepts --name=value, repeats, --no-flag, -h and --', () => {
    const parsed = parseArgv(['--methods=GET', '--methods', 'POST', '--no-force', '-h', '--', '--literal'], booleans);
    expect(parsed.positionals).toEqual(['--literal']);
    expect(Object.fromEntries(parsed.flags)).toEqual({ methods: ['GET', 'POST'], force: ['false'], help: ['true'] });
  });

  it('keeps values that look like negative numbers or empty strings', () => {
    expect(Object.fromEntries(parseArgv(['--priority', '-5', '--description='], booleans).flags)).toEqual({
      priority: ['-5'],
      description: [''],
    });
  });

  it('refuses a value flag without a value and short options', () => {
    expect(() => parseArgv(['token', 'create', 'x', '--cert-email'], booleans)).toThrow(
      new UsageError('option --cert-email needs a value'),
    );
    expect(() => parseArgv(['--url', '--json'], booleans)).toThrow('option --url needs a value');
    expect(() => parseArgv(['-x'], booleans)).toThrow('unknown option -x (options are written --name)');
  });
});
