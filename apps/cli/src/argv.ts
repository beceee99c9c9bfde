/** Raw command line split into positionals and flags, before any command is known. */
export interface ParsedArgv {
  positionals: string[];
  /** Every value given for each flag, in order (`--x a --x b` gives `['a', 'b']`). */
  flags: Map<string, string[]>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Splits argv. `--name=value` and `--name value` give values; flags listed in `booleanFlags` take
 * none (`--force`, or `--no-force` for false); `-h` is `--help`; `--` ends the flags.
 */
export function parseArgv(argv: readonly string[], booleanFlags: ReadonlySet<string>): ParsedArgv {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      add('help', 'true');
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg))
        throw new UsageError(`unknown option ${arg} (options are written --name)`);
      positionals.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    if (eq >= 0) {
      add(body.slice(0, eq), body.slice(eq + 1));
    } else if (booleanFlags.has(body)) {
      add(body, 'true');
    } else if (body.startsWith('no-') && booleanFlags.has(body.slice(3))) {
      add(body.slice(3), 'false');
    } else {
      const value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2))
        throw new UsageError(`option --${body} needs a value`);
      add(body, value);
      i++;
    }
  }
  return { positionals, flags };
}
