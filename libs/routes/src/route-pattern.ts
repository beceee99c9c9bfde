import { Logger } from '@nestjs/common';
import { RE2JS } from 're2js';

export const MAX_PATTERN_LENGTH = 512;

/** What a regex the linear-time engine refuses cannot use: said in the 400 so the author knows what to change. */
const UNSUPPORTED = 'backreferences, lookahead and lookbehind are not available';

/**
 * Compiles a route regex for RE2 (re2js, a pure-JS port): matching time is linear in the path's
 * length whatever the pattern, so no tenant's route can stall the proxy. Patterns are written as
 * JavaScript regexes; `translateRegExp` maps the JS-only spellings (named groups, `\u` escapes).
 * Throws RE2JS's syntax error for what RE2 cannot run.
 */
function compileLinear(pattern: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(pattern));
}

/**
 * Why a path pattern cannot be used, or null when it is fine. A regex must be a valid JavaScript
 * regex (the documented syntax) that the linear-time engine (RE2) can also compile.
 */
export function patternProblem(pattern: string, isRegex: boolean): string | null {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH)
    return `path_pattern must be 1-${MAX_PATTERN_LENGTH} characters`;
  if (!isRegex) return pattern.startsWith('/') ? null : 'path_pattern must start with "/" (or set is_regex)';
  try {
    new RegExp(pattern);
  } catch (error) {
    return `path_pattern is not a valid regular expression: ${(error as Error).message}`;
  }
  try {
    compileLinear(pattern);
  } catch (error) {
    return `path_pattern uses syntax the linear-time regex engine (RE2) does not support (${UNSUPPORTED}): ${re2Reason(error)}`;
  }
  return null;
}

function re2Reason(error: unknown): string {
  return (error as Error).message.replace(/^error parsing regexp: /, '');
}

const logger = new Logger('RoutePatterns');
/** Stored patterns already reported as unusable: each is logged once per process, not per table rebuild. */
const reported = new Set<string>();
const NEVER = (): boolean => false;

/**
 * A compiled matcher for one route's path pattern (prefix match, or regex tested against the path).
 * A stored regex RE2 cannot compile (saved before regexes ran on RE2) fails closed: it never
 * matches, and the problem is logged once.
 */
export function compilePattern(pattern: string, isRegex: boolean): (path: string) => boolean {
  if (!isRegex) return (path) => path.startsWith(pattern);
  let regex: RE2JS;
  try {
    regex = compileLinear(pattern);
  } catch (error) {
    if (!reported.has(pattern) && reported.size < 1000) {
      reported.add(pattern);
      logger.warn(
        `route path_pattern ${JSON.stringify(pattern)} is not supported by the linear-time regex engine (${re2Reason(error)}); the route never matches until it is changed`,
      );
    }
    return NEVER;
  }
  return (path) => regex.test(path);
}
