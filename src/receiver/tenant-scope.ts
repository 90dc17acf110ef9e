/**
 * What one token may write: its tenant's scope. A request authenticated by a scoped token writes
 * only into the scope's experiments, and its run keys live in the scope's namespace, whatever
 * attributes its telemetry carries.
 *
 * How it is enforced (`Ingest.export`), once the request is converted into records and before
 * anything of it is written:
 * - **Experiments**: every record that names an experiment (`aim.experiment` on the span or log
 *   record, else on its resource; on the resource for metric points: `namedExperiment`, the same
 *   reading the mapping uses) must name the scope's `experiment`, or one starting with its
 *   `experimentPrefix`; else the whole request is refused — 403 / `PERMISSION_DENIED`, counted in
 *   `aim_otel_bridge_forbidden_requests_total{tenant}` and logged (rate-limited) — and nothing of
 *   it is written. The runs of records that name none go to the scope's experiment; for a prefix,
 *   to the prefix followed by the experiment an unscoped run would get (the bridge's `experiment`
 *   option, else the resource's `service.name`): `team-b/` + `checkout` = `team-b/checkout`.
 * - **Runs**: the records carry the tenant (`RecordTenant`, set here, never read from the
 *   telemetry), and every run key derived for them — `aim.run_key`, conversation, session, trace,
 *   unkeyed window, log and metrics fallbacks — is put in the scope's namespace (`runKeyNamespace`,
 *   else `name`; see src/mapping/tenant-keys.ts): two tenants sending the same `aim.run_key` write
 *   two runs with different hashes, and neither can name (nor overwrite) the other's. What the
 *   bridge remembers by trace and span id (placements, the log join, the trace → run memo) is kept
 *   per tenant too, so another tenant's trace and span ids lead nowhere.
 * - **Retries**: the scope is part of a request's content key, so byte-identical requests of two
 *   tenants are never answered from each other's work.
 *
 * A token without a scope writes anywhere, as a receiver without tokens does; its run keys are
 * those of an unscoped bridge and cannot name a tenant's.
 */
import type { RecordTenant } from '../model/span-record.js';

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

/** The namespace of a scope's run keys: `runKeyNamespace`, else `name`. */
export function scopeNamespace(scope: TenantScope): string {
  return scope.runKeyNamespace ?? scope.name;
}

/** What the records of a request authenticated with `scope` carry (`SpanRecord.tenant` and the like). */
export function recordTenantOf(scope: TenantScope): RecordTenant {
  return {
    namespace: scopeNamespace(scope),
    ...(scope.experiment !== undefined ? { experiment: scope.experiment } : {}),
    ...(scope.experimentPrefix !== undefined ? { experimentPrefix: scope.experimentPrefix } : {}),
  };
}

/**
 * Whether `scope` may write to `experiment`: it is the scope's experiment, or starts with its
 * prefix; any experiment for a scope with neither (a run-key namespace only).
 */
export function allowsExperiment(scope: TenantScope, experiment: string): boolean {
  if (scope.experiment !== undefined) return experiment === scope.experiment;
  if (scope.experimentPrefix !== undefined) return experiment.startsWith(scope.experimentPrefix);
  return true;
}

/** What `scope` may write to, in words (for answers and logs; never the token). */
export function describeScope(scope: TenantScope): string {
  const experiments =
    scope.experiment !== undefined
      ? `the experiment ${quoted(scope.experiment)}`
      : scope.experimentPrefix !== undefined
        ? `experiments starting with ${quoted(scope.experimentPrefix)}`
        : 'any experiment';
  return `tenant ${quoted(scope.name)} writes to ${experiments}, its runs in the run-key namespace ${quoted(scopeNamespace(scope))}`;
}

/**
 * The first experiment among `named` (what each record of a request names, `undefined` for none)
 * that `scope` may not write to, or undefined when it may write them all.
 */
export function experimentOutside(scope: TenantScope, named: Iterable<string | undefined>): string | undefined {
  for (const experiment of named) if (experiment !== undefined && !allowsExperiment(scope, experiment)) return experiment;
  return undefined;
}

/** Why a request of `scope` naming `experiment` is refused (for the sender and the log; never the token). */
export function forbiddenMessage(scope: TenantScope, experiment: string): string {
  return `the request names the experiment ${quoted(experiment)}, outside what its token may write (${describeScope(scope)}); nothing of it was written`;
}

/**
 * What tells two scopes apart in a request's content key: two tenants sending the same bytes are
 * two requests (neither is answered from the other's work).
 */
export function scopeIdentity(scope: TenantScope): string {
  return JSON.stringify([scope.name, scope.experiment ?? null, scope.experimentPrefix ?? null, scopeNamespace(scope)]);
}

/** The records with their tenant set (a copy of each; the converters never set it). */
export function withTenant<T extends { readonly tenant?: RecordTenant }>(records: readonly T[], tenant: RecordTenant): T[] {
  return records.map((record) => ({ ...record, tenant }));
}

/** A name as quoted in messages: JSON-quoted, cut to 200 characters (it may come from the sender). */
function quoted(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}
