/**
 * Model name patterns of price entries: globs (`gpt-4o-mini-????-??-??`, `claude-sonnet-4-5*`)
 * and regular expressions (`/^gemini-2\.5-pro(-\d{3})?$/`). See `ModelPrice` for the rules.
 */

/** A compiled pattern: does a model name match? */
export type ModelMatcher = (model: string) => boolean;

/** The flags a `/regex/flags` pattern may carry. */
const REGEX_FLAGS = /^[ius]*$/;

/**
 * Compiles one pattern. Throws an `Error` saying what is wrong (an empty pattern, a regular
 * expression that does not compile, a flag other than `i`, `u`, `s`).
 */
export function compileModelPattern(pattern: string): ModelMatcher {
  if (pattern.trim() === '') throw new Error('a model pattern must not be empty');
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(pattern);
  if (regex) {
    const [, source = '', flags = ''] = regex;
    if (!REGEX_FLAGS.test(flags)) throw new Error(`regular expression ${pattern}: only the flags i, u and s are allowed`);
    let compiled: RegExp;
    try {
      compiled = new RegExp(source, flags);
    } catch (error) {
      throw new Error(`regular expression ${pattern} does not compile: ${error instanceof Error ? error.message : String(error)}`);
    }
    return (model) => compiled.test(model);
  }
  if (!/[*?]/.test(pattern)) {
    const exact = pattern.toLowerCase();
    return (model) => model.toLowerCase() === exact;
  }
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const glob = new RegExp(`^${source}$`, 'is');
  return (model) => glob.test(model);
}

/** Compiles several patterns into one matcher (any of them). */
export function compileModelPatterns(patterns: string | readonly string[]): ModelMatcher {
  const matchers = (typeof patterns === 'string' ? [patterns] : patterns).map(compileModelPattern);
  if (matchers.length === 1 && matchers[0]) return matchers[0];
  return (model) => matchers.some((matches) => matches(model));
}

/**
 * The names a model is matched by: the name itself and, when it has a path (`models/...`,
 * Vertex AI's `publishers/google/models/...`, a Bedrock ARN `...:inference-profile/us.anthropic...`),
 * its last `/`-separated segment.
 */
export function modelNamesOf(model: string): readonly string[] {
  const slash = model.lastIndexOf('/');
  return slash < 0 || slash === model.length - 1 ? [model] : [model, model.slice(slash + 1)];
}
