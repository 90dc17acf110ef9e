/**
 * What one token may write: its tenant's scope. A request authenticated by a scoped token writes
 * only into the scope's experiments, and its run keys live in the scope's namespace, whatever
 * attributes its telemetry carries.
 */

/** The scope of a token (see the module documentation). */
export interface TenantScope {
  /** The tenant's name, for logs and metrics (never the token). */
  readonly name: string;
  /** The one experiment this token writes to. Exclusive with `experimentPrefix`. */
  readonly experiment?: string;
  /** Or: the experiments this token may write to all start with this prefix. */
  readonly experimentPrefix?: string;
  /** The namespace of this token's run keys (part of every run key and run hash). Default: `name`. */
  readonly runKeyNamespace?: string;
}
