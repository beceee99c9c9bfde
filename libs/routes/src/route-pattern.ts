import safeRegex from 'safe-regex2';

export const MAX_PATTERN_LENGTH = 512;

/**
 * Why a path pattern cannot be used, or null when it is fine. Regexes are compiled and checked with
 * safe-regex2 (star height > 1, i.e. nested quantifiers such as `(a+)+`, and too many repetitions
 * are refused), so no stored route can backtrack catastrophically on the data path.
 */
export function patternProblem(pattern: string, isRegex: boolean): string | null {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) return `path_pattern must be 1-${MAX_PATTERN_LENGTH} characters`;
  if (!isRegex) return pattern.startsWith('/') ? null : 'path_pattern must start with "/" (or set is_regex)';
  try {
    new RegExp(pattern);
  } catch (error) {
    return `path_pattern is not a valid regular expression: ${(error as Error).message}`;
  }
  if (!safeRegex(pattern, { limit: 25 })) {
    return 'path_pattern could backtrack catastrophically (nested or too many quantifiers, e.g. "(a+)+"); simplify it';
  }
  return null;
}

/** A compiled matcher for one route's path pattern (prefix match, or regex tested against the path). */
export function compilePattern(pattern: string, isRegex: boolean): (path: string) => boolean {
  if (!isRegex) return (path) => path.startsWith(pattern);
  const regex = new RegExp(pattern);
  return (path) => regex.test(path);
}
