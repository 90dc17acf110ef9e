/**
 * The receiver's credentials: the bearer tokens it accepts, each optionally scoped to a tenant
 * ({@link TenantScope}), from three sources — the `token` option, the `tokens` option and a token
 * file — merged into one set. Several tokens are valid at once, so a token is rotated without
 * downtime: add the new one, move the senders, remove the old one.
 *
 * The token file is read at start-up (a file that cannot be used is a {@link CredentialsError}
 * naming the file and the entry, never a token) and polled through its path afterwards (every
 * 5 s by default), so an edited file — or a Kubernetes secret, whose mount swaps a symlink — takes
 * effect without a restart. A reload that fails (missing file, malformed entry, no token left)
 * keeps the set in use and logs a warning; a changed file is re-read once, not warned about
 * every poll.
 *
 * File formats (chosen by the content: JSON when its first non-blank character is `{`):
 *
 * - text: one token per line; blank lines and lines starting with `#` are ignored. Tokens without
 *   a tenant scope.
 * - JSON: `{ "tokens": [ "tok1", { "token": "tok2", "tenant": "team-a", "experiment": "...",
 *   "experimentPrefix": "...", "runKeyNamespace": "..." } ] }`; `experiment` and
 *   `experimentPrefix` are exclusive, and either (or `runKeyNamespace`) needs `tenant`.
 *
 * A token is 1 to 4096 visible ASCII characters (what an `Authorization: Bearer` header carries).
 * Tokens never appear in errors or logs: entries are named by position (`line 3`, `tokens[2]`),
 * and JSON syntax errors by position only (the parser's own message quotes the text).
 *
 * Matching takes the same time whichever token (or none) matches: the SHA-256 digest of the
 * presented token is compared with every stored digest with `timingSafeEqual`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { componentLogger } from '../logging/component-logger.js';
import type { TenantScope } from './tenant-scope.js';

const log = componentLogger('receiver');

/** One accepted bearer token, and the tenant scope of what it may write (none: anything). */
export interface Credential {
  readonly token: string;
  readonly scope?: TenantScope;
}

/** Where the receiver's tokens come from. Without any of them, the receiver asks for no token. */
export interface CredentialOptions {
  /** One token without a scope. */
  readonly token?: string;
  /** Tokens, each a string (no scope) or a {@link Credential}. */
  readonly tokens?: readonly (string | Credential)[];
  /** A token file (see the module documentation for its formats), re-read when it changes. */
  readonly tokenFile?: string;
  /** How often the token file is checked for changes, in ms. Default 5 000. */
  readonly tokenFileReloadMs?: number;
}

/** What an accepted request authenticated as: the scope of its token (none: unscoped, or no token needed). */
export interface Authenticated {
  readonly scope?: TenantScope;
}

/** A token file (or a token option) that cannot be used: names the source and the entry, never a token. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';

  /**
   * @param source - the file path, or `the receiver options`.
   * @param problem - what is wrong.
   * @param entry - the malformed entry (`line 3`, `tokens[2]`, `token`), when one is.
   */
  constructor(
    readonly source: string,
    readonly problem: string,
    readonly entry?: string,
  ) {
    super(`invalid tokens in ${source}${entry === undefined ? '' : `, ${entry}`}: ${problem}`);
  }
}

/** Default of {@link CredentialOptions.tokenFileReloadMs}. */
export const DEFAULT_TOKEN_FILE_RELOAD_MS = 5_000;

/** The largest token file read, in bytes. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_TOKEN_CHARS = 4096;
/** Visible ASCII: what a bearer token in an HTTP header (or gRPC metadata) can be. */
const TOKEN_CHARS = /^[\x21-\x7e]+$/;
const ENTRY_KEYS = new Set(['token', 'tenant', 'experiment', 'experimentPrefix', 'runKeyNamespace']);
/** The `Authorization` header's bearer credentials (the scheme is case-insensitive, RFC 7235). */
const BEARER = /^\s*bearer +([\x21-\x7e]+)\s*$/i;

/** A stored token: its digest and scope, and where it came from (for messages). */
interface Entry {
  readonly digest: Buffer;
  readonly scope?: TenantScope;
  readonly where: string;
}

/** The source named in errors about the `token` and `tokens` options. */
const OPTIONS = 'the receiver options';

const OPEN: Authenticated = Object.freeze({});

/**
 * The set of accepted tokens, kept current with the token file. Make it with {@link Credentials.load};
 * {@link Credentials.close} stops watching the file.
 */
export class Credentials {
  /** The tokens of the options: always accepted, whatever the file says. */
  private readonly fixed: readonly Entry[];
  /** The tokens accepted now: the fixed ones and the file's last usable content. */
  private entries: readonly Entry[];
  private timer: NodeJS.Timeout | undefined;
  /** Digest of the file content last read (used or refused): unchanged content is not parsed again. */
  private lastContent: string | undefined;
  /** Whether that content was usable (its tokens are the ones in use). */
  private usable = false;
  /** The problem last warned about, so a file that stays broken (or missing) is warned about once. */
  private lastProblem: string | undefined;
  private checking: Promise<void> | undefined;

  private constructor(
    fixed: readonly Entry[],
    private readonly file: string | undefined,
  ) {
    this.fixed = fixed;
    this.entries = fixed;
  }

  /**
   * Reads the tokens of `options` (the token file synchronously) and starts polling the file.
   * Throws a {@link CredentialsError} when a token or the file cannot be used.
   */
  static load(options: CredentialOptions): Credentials {
    const fixed: Entry[] = [];
    if (options.token !== undefined) fixed.push(entryOf(options.token, undefined, OPTIONS, 'token'));
    options.tokens?.forEach((item, index) => {
      const credential: Credential = typeof item === 'string' ? { token: item } : item;
      fixed.push(entryOf(credential.token, credential.scope, OPTIONS, `tokens[${String(index)}]`));
    });
    const credentials = new Credentials(withoutDuplicates(fixed), options.tokenFile);
    if (options.tokenFile !== undefined) {
      const file = options.tokenFile;
      let content: string;
      try {
        content = readTokenFile(file, readFileSync(file));
      } catch (error) {
        throw error instanceof CredentialsError ? error : new CredentialsError(file, `cannot be read (${describe(error)})`);
      }
      credentials.use(content);
      const every = options.tokenFileReloadMs ?? DEFAULT_TOKEN_FILE_RELOAD_MS;
      credentials.timer = setInterval(() => void credentials.check(), every);
      credentials.timer.unref();
    }
    return credentials;
  }

  /** Whether requests need a token: some token, or a token file, was given. */
  get required(): boolean {
    return this.file !== undefined || this.fixed.length > 0;
  }

  /** How many tokens are accepted now. */
  get size(): number {
    return this.entries.length;
  }

  /** The tenants of the scoped tokens accepted now (names only, for logs). */
  get tenants(): readonly string[] {
    return [...new Set(this.entries.flatMap((entry) => (entry.scope === undefined ? [] : [entry.scope.name])))];
  }

  /**
   * Checks a request's `Authorization` value (`Bearer <token>`): what it authenticated as, or
   * `undefined` when it is refused (missing, malformed or unknown token). Without any token
   * configured, every request passes, unscoped. Takes the same time whichever stored token matches.
   */
  authenticate(authorization: string | undefined): Authenticated | undefined {
    if (!this.required) return OPEN;
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    // A missing token is compared too (as a digest no token has), so its answer takes as long.
    const digest = token === undefined ? Buffer.alloc(32) : digestOf(token);
    let matched: Entry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && token !== undefined) matched = entry;
    }
    if (matched === undefined) return undefined;
    return matched.scope === undefined ? OPEN : { scope: matched.scope };
  }

  /**
   * Reads the token file again, if it changed since it was last read: a usable file replaces the
   * tokens it gave, one that is not keeps them (warned once per content or problem). The poll
   * calls this; tests may too.
   */
  check(): Promise<void> {
    const file = this.file;
    if (file === undefined) return Promise.resolve();
    this.checking ??= (async () => {
      try {
        const content = readTokenFile(file, await readFile(file));
        const digest = digestOf(content).toString('hex');
        if (digest === this.lastContent) {
          // Back to the content in use (after a read that failed): a later failure is news again.
          if (this.usable) this.lastProblem = undefined;
          return;
        }
        const before = this.entries.length;
        this.use(content);
        this.lastProblem = undefined;
        log.info(`token file ${file} reloaded: ${describeSet(this.entries.length, this.tenants)} (was ${String(before)})`);
      } catch (error) {
        const problem = error instanceof CredentialsError ? error.message : `cannot read the token file ${file} (${describe(error)})`;
        if (problem === this.lastProblem) return;
        this.lastProblem = problem;
        log.warn(`${problem}; keeping the ${String(this.entries.length)} tokens in use`);
      }
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  /** Stops polling the token file. Idempotent. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Parses the file's content and, when it is usable, makes its tokens (with the fixed ones) the accepted set. */
  private use(content: string): void {
    const file = this.file ?? '';
    const digest = digestOf(content).toString('hex');
    // Remembered before parsing: a broken content is not parsed (nor warned about) again until it changes.
    this.lastContent = digest;
    this.usable = false;
    const fromFile = parseTokenFile(file, content);
    this.entries = withoutDuplicates([...this.fixed, ...fromFile]);
    this.usable = true;
  }
}

/** The tokens of a token file's content (see the module documentation). */
function parseTokenFile(file: string, content: string): Entry[] {
  const entries = content.trimStart().startsWith('{') ? parseJson(file, content) : parseText(file, content);
  if (entries.length === 0) throw new CredentialsError(file, 'the file names no token');
  return withoutDuplicates(entries);
}

/** One describing line of a token set: how many tokens, which tenants. */
export function describeSet(count: number, tenants: readonly string[]): string {
  return `${String(count)} token${count === 1 ? '' : 's'}${tenants.length > 0 ? ` (tenants ${tenants.join(', ')})` : ''}`;
}

function parseText(file: string, content: string): Entry[] {
  const entries: Entry[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `line ${String(index + 1)}`;
    if (/\s/.test(line)) throw new CredentialsError(file, 'a line holds one token, without spaces (scoped tokens need the JSON format)', where);
    entries.push(entryOf(line, undefined, file, where));
  });
  return entries;
}

function parseJson(file: string, content: string): Entry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    // The parser's message may quote the text (a token): only the position is told.
    const position = /position (\d+)/.exec(describe(error))?.[1];
    const at = position === undefined ? '' : ` at line ${String(content.slice(0, Number(position)).split('\n').length)}`;
    throw new CredentialsError(file, `not valid JSON${at}`);
  }
  if (!isRecord(parsed) || !Array.isArray(parsed['tokens'])) throw new CredentialsError(file, 'a JSON token file is an object with a "tokens" list');
  const extra = Object.keys(parsed).filter((key) => key !== 'tokens' && key !== 'note');
  if (extra.length > 0) throw new CredentialsError(file, `unknown keys ${extra.map((key) => JSON.stringify(key)).join(', ')} (known: "tokens", "note")`);
  return (parsed['tokens'] as unknown[]).map((item, index) => jsonEntry(file, item, `tokens[${String(index)}]`));
}

function jsonEntry(file: string, item: unknown, where: string): Entry {
  if (typeof item === 'string') return entryOf(item, undefined, file, where);
  if (!isRecord(item)) throw new CredentialsError(file, 'an entry is a token string or an object with "token"', where);
  const unknown = Object.keys(item).filter((key) => !ENTRY_KEYS.has(key));
  if (unknown.length > 0)
    throw new CredentialsError(file, `unknown keys ${unknown.map((key) => JSON.stringify(key)).join(', ')} (known: ${[...ENTRY_KEYS].join(', ')})`, where);
  const text = (key: string): string | undefined => {
    const value = item[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') throw new CredentialsError(file, `"${key}" must be a non-empty string`, where);
    return value;
  };
  const token = item['token'];
  if (typeof token !== 'string') throw new CredentialsError(file, '"token" must be a string', where);
  const tenant = text('tenant');
  const experiment = text('experiment');
  const experimentPrefix = text('experimentPrefix');
  const runKeyNamespace = text('runKeyNamespace');
  if (tenant === undefined) {
    if (experiment !== undefined || experimentPrefix !== undefined || runKeyNamespace !== undefined)
      throw new CredentialsError(file, '"experiment", "experimentPrefix" and "runKeyNamespace" scope a tenant: name it with "tenant"', where);
    return entryOf(token, undefined, file, where);
  }
  const scope: TenantScope = {
    name: tenant,
    ...(experiment !== undefined ? { experiment } : {}),
    ...(experimentPrefix !== undefined ? { experimentPrefix } : {}),
    ...(runKeyNamespace !== undefined ? { runKeyNamespace } : {}),
  };
  return entryOf(token, scope, file, where);
}

/** A checked token and scope as a stored entry. */
function entryOf(token: unknown, scope: TenantScope | undefined, source: string, where: string | undefined): Entry {
  if (typeof token !== 'string' || token === '') throw new CredentialsError(source, 'a token must be a non-empty string', where);
  if (token.length > MAX_TOKEN_CHARS) throw new CredentialsError(source, `a token has at most ${String(MAX_TOKEN_CHARS)} characters`, where);
  if (!TOKEN_CHARS.test(token)) throw new CredentialsError(source, 'a token is visible ASCII only (no spaces or control characters)', where);
  if (scope !== undefined) checkScope(scope, source, where);
  return { digest: digestOf(token), ...(scope !== undefined ? { scope } : {}), where: where === undefined ? source : `${source}, ${where}` };
}

function checkScope(scope: TenantScope, source: string, where: string | undefined): void {
  if (typeof scope.name !== 'string' || scope.name === '') throw new CredentialsError(source, 'a tenant scope needs a name', where);
  if (scope.experiment !== undefined && scope.experimentPrefix !== undefined)
    throw new CredentialsError(source, 'a tenant scope has an experiment or an experiment prefix, not both', where);
}

/**
 * The entries without repeats: one token given twice with the same scope (or none) counts once;
 * with different scopes it is refused (which would apply?), naming both places.
 */
function withoutDuplicates(entries: readonly Entry[]): Entry[] {
  const seen = new Map<string, Entry>();
  for (const entry of entries) {
    const key = entry.digest.toString('hex');
    const first = seen.get(key);
    if (first === undefined) seen.set(key, entry);
    else if (JSON.stringify(first.scope ?? null) !== JSON.stringify(entry.scope ?? null))
      throw new CredentialsError(entry.where, `the same token as ${first.where}, with another tenant scope`);
  }
  return [...seen.values()];
}

function readTokenFile(file: string, bytes: Buffer): string {
  if (bytes.length > MAX_FILE_BYTES) throw new CredentialsError(file, `larger than ${String(MAX_FILE_BYTES)} bytes`);
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

function digestOf(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An error's message for a line that must not quote file content: Node's `code` when it has one (ENOENT, EACCES). */
function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
