/** Base class of every error the Aim client raises. */
export class AimError extends Error {
  override readonly name: string = 'AimError';
}

/** Bytes that are not a valid record stream, path or value (a bug, or a broken peer). */
export class AimCodecError extends AimError {
  override readonly name: string = 'AimCodecError';
}

/** The exception `aim server` reported, as data: its names are never resolved to code. */
export interface AimRemoteException {
  /** The exception class's Python module, e.g. `builtins`, `aim.sdk.errors`. */
  moduleName: string;
  /** The exception class name, e.g. `KeyError`, `RunLockingError`, `UnauthorizedRequestError`. */
  className: string;
  /** The exception's args, decoded from the JSON string the server sends (raw string if not JSON). */
  args: unknown;
  /** `str(exception)` (servers before 3.28 omit it: then empty). */
  message: string;
}

/** `aim server` answered an instruction with an exception (an HTTP 400, or a WebSocket error frame). */
export class AimServerError extends AimError {
  override readonly name = 'AimServerError';
  readonly remote: AimRemoteException;
  /** What the client was doing, e.g. `read-instruction collect`. */
  readonly operation: string;

  constructor(operation: string, remote: AimRemoteException) {
    super(`aim server failed ${operation}: ${remote.moduleName}.${remote.className}: ${remote.message || JSON.stringify(remote.args)}`);
    this.operation = operation;
    this.remote = remote;
  }

  /** Whether the server no longer knows the handler (its resources were reaped, or it restarted). */
  get isUnknownHandler(): boolean {
    return this.remote.className === 'UnauthorizedRequestError';
  }
}

/** The server answered something the protocol does not allow (wrong status, cut or malformed body). */
export class AimProtocolError extends AimError {
  override readonly name = 'AimProtocolError';
}

/** `aim server` cannot be reached (refused, reset, timed out); the operation may succeed later. */
export class AimUnavailableError extends AimError {
  override readonly name = 'AimUnavailableError';
}

/** The client (or the run) was closed; nothing more can be sent through it. */
export class AimClosedError extends AimError {
  override readonly name = 'AimClosedError';
}

/** Another live writer holds the run's lock (Aim's `RunLockingError`). */
export class AimRunLockedError extends AimError {
  override readonly name = 'AimRunLockedError';
}

/** A call with arguments Aim cannot store (bad hash, empty name, incompatible value type, ...). */
export class AimUsageError extends AimError {
  override readonly name = 'AimUsageError';
}

/** Turns the exception object the server sends (HTTP JSON or decoded WS frame) into data. */
export function remoteException(raw: unknown): AimRemoteException {
  const field = (name: string): string => {
    if (raw instanceof Map) {
      const value: unknown = raw.get(name);
      return typeof value === 'string' ? value : '';
    }
    if (raw !== null && typeof raw === 'object') {
      const value: unknown = (raw as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : '';
    }
    return '';
  };
  const argsText = field('args');
  let args: unknown = argsText;
  try {
    args = JSON.parse(argsText);
  } catch {
    // keep the raw string
  }
  return { moduleName: field('module_name'), className: field('class_name'), args, message: field('message') };
}

/**
 * A value that cannot be encoded (an unsupported type, an int outside i64, an empty or
 * non-string/int key, a string that is not well-formed UTF-16, ...). `path` is where in the tree
 * it was found: the keys from the root down to the offending node (`[]` for the root).
 */
export class AimEncodeError extends AimCodecError {
  override readonly name = 'AimEncodeError';
  readonly path: readonly (string | bigint)[];

  constructor(message: string, path: readonly (string | bigint)[] = []) {
    super(path.length === 0 ? message : `${message} (at ${formatPath(path)})`);
    this.path = path;
  }
}

/** A readable rendering of a tree path, e.g. `["meta", 5n, "x"]`. */
function formatPath(path: readonly (string | bigint)[]): string {
  return `[${path.map((key) => (typeof key === 'string' ? JSON.stringify(key) : `${key.toString()}n`)).join(', ')}]`;
}
