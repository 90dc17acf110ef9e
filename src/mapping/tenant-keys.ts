/**
 * Tenants kept apart in the mapping: the run keys, trace keys and experiments of records that
 * carry a {@link RecordTenant} (set by the receiver from the token's scope, never by the sender).
 *
 * - **Run keys**: every run key derived for a tenant's record (`aim.run_key`, conversation,
 *   session, trace, unkeyed window, `service/…` and `metrics/…` keys) is prefixed with the tenant's
 *   namespace ({@link tenantRunKey}): `\u0000tenant\u0000<namespace>\u0000<key>`. So the key string,
 *   and the run hash derived from it, differ between tenants even for identical attributes; every
 *   map keyed by run key (builders, placements, the log join) keeps them apart. An unscoped key is
 *   unchanged, unless it starts with `\u0000` (no producer sends that): it is escaped with one more
 *   `\u0000`, so an unscoped sender cannot name a tenant's key either.
 * - **Trace keys**: what the bridge remembers by trace id (the trace → run key memo, span
 *   placements, the log events waiting for their span) is kept under {@link tenantTraceKey}, the
 *   trace id in the tenant's namespace: a tenant that sends another tenant's trace and span ids
 *   finds nothing of theirs, and what it leaves is not found by them.
 * - **Experiments**: {@link namedExperiment} is the one reading of the experiment a record names
 *   (span, run builder, log fallback, metrics, and the receiver's scope check all use it), and
 *   {@link tenantExperiment} the experiment of a tenant's runs whose records name none.
 */
import type { SpanPlacement } from './aim-plan.js';
import type { AttributeValue, Attributes, RecordTenant } from '../model/span-record.js';
import type { PlacementMemo } from './span-places.js';

/** What starts every tenant's run key and trace key. */
const TENANT_MARK = '\u0000tenant\u0000';

/** The namespace as it appears in keys: `%` and `\u0000` percent-encoded, so it ends at the first `\u0000`. */
function encodedNamespace(namespace: string): string {
  return namespace.replaceAll('%', '%25').replaceAll('\u0000', '%00');
}

/**
 * The run key of a record of `tenant` whose convention-derived key is `key` (see the module
 * documentation); without a tenant, `key` itself (escaped when it starts with `\u0000`).
 */
export function tenantRunKey(key: string, tenant: RecordTenant | undefined): string {
  if (tenant === undefined) return key.startsWith('\u0000') ? `\u0000${key}` : key;
  return `${TENANT_MARK}${encodedNamespace(tenant.namespace)}\u0000${key}`;
}

/** The key a run key was derived from, without its tenant prefix (what the run is named after). */
export function localRunKey(key: string): string {
  if (key.startsWith(TENANT_MARK)) {
    const end = key.indexOf('\u0000', TENANT_MARK.length);
    return end < 0 ? key : key.slice(end + 1);
  }
  return key.startsWith('\u0000\u0000') ? key.slice(1) : key;
}

/** The (encoded) tenant namespace of a run key, or undefined for an unscoped key. */
export function runKeyNamespace(key: string): string | undefined {
  if (!key.startsWith(TENANT_MARK)) return undefined;
  const end = key.indexOf('\u0000', TENANT_MARK.length);
  return end < 0 ? undefined : key.slice(TENANT_MARK.length, end);
}

/** What the bridge remembers trace `traceId` of `tenant` by: the trace id itself without a tenant. */
export function tenantTraceKey(traceId: string, tenant: RecordTenant | undefined): string {
  return tenant === undefined ? traceId : `${TENANT_MARK}${encodedNamespace(tenant.namespace)}\u0000${traceId}`;
}

/** {@link tenantTraceKey} for a placement: the tenant is read from its run key (a tenant's placements only ever have a tenant's key). */
export function placementTraceKey(placement: Pick<SpanPlacement, 'traceId' | 'key'>): string {
  const namespace = runKeyNamespace(placement.key);
  return namespace === undefined ? placement.traceId : `${TENANT_MARK}${namespace}\u0000${placement.traceId}`;
}

/** The trace id a trace key was made of ({@link tenantTraceKey}). */
export function traceIdOf(traceKey: string): string {
  if (!traceKey.startsWith(TENANT_MARK)) return traceKey;
  const end = traceKey.indexOf('\u0000', TENANT_MARK.length);
  return end < 0 ? traceKey : traceKey.slice(end + 1);
}

/**
 * The placements of `tenant` in `memo`, which holds them by trace key (the log join records them
 * so): lookups by trace id find only the tenant's, and the placements found carry their trace id.
 * Without a tenant, `memo` itself.
 */
export function tenantPlacements(memo: PlacementMemo | undefined, tenant: RecordTenant | undefined): PlacementMemo | undefined {
  if (memo === undefined || tenant === undefined) return memo;
  const real = (placement: SpanPlacement | undefined): SpanPlacement | undefined =>
    placement === undefined ? undefined : { ...placement, traceId: traceIdOf(placement.traceId) };
  return {
    placement: (traceId, spanId) => real(memo.placement(tenantTraceKey(traceId, tenant), spanId)),
    stepHolder: (hash, step) => memo.stepHolder(hash, step),
    modelCallUnder: (traceId, parentSpanId) => real(memo.modelCallUnder(tenantTraceKey(traceId, tenant), parentSpanId)),
  };
}

/**
 * The experiment a record names: its `aim.experiment` attribute, else its resource's (a non-empty
 * string, as given). Metric points name it on their resource only (pass `{}` as attributes).
 */
export function namedExperiment(attributes: Attributes, resource: Attributes): string | undefined {
  return text(attributes['aim.experiment']) ?? text(resource['aim.experiment']);
}

/**
 * The experiment of a tenant's run whose records name none: the tenant's experiment; for a prefix,
 * the prefix followed by the experiment an unscoped run would get (`configured`, the bridge's
 * `experiment` option, else the resource's `service.name`, else `default`); undefined for a tenant
 * scoped by namespace only (its runs then go where unscoped runs go).
 */
export function tenantExperiment(tenant: RecordTenant | undefined, resource: Attributes, configured: string | undefined): string | undefined {
  if (tenant === undefined) return undefined;
  if (tenant.experiment !== undefined) return tenant.experiment;
  if (tenant.experimentPrefix === undefined) return undefined;
  return tenant.experimentPrefix + (configured ?? text(resource['service.name']) ?? 'default');
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
