/**
 * Our OTLP subset (src/receiver/otlp-proto.ts) against the OFFICIAL definitions, pinned (see
 * test/peers/official-proto.ts: go.opentelemetry.io/proto/otlp v1.9.0, googleapis rpc, protobuf
 * well-known types, fetched through Go's module proxy): every message and field of ours exists there
 * with the same number, type and repeated-ness (and oneof), every enum value has the same number,
 * and the services have the same methods with the same request and response types.
 */
import protobuf from 'protobufjs';
import { expect } from 'chai';
import { otlpTypes } from '../../src/receiver/schema.js';
import { OFFICIAL_MODULES, officialRoot } from '../peers/official-proto.js';

/** Every reflection object under `namespace`, depth first. */
function* nested(namespace: protobuf.NamespaceBase): Generator<protobuf.ReflectionObject> {
  for (const child of namespace.nestedArray) {
    yield child;
    if (child instanceof protobuf.Namespace || child instanceof protobuf.Type || child instanceof protobuf.Service) yield* nested(child);
  }
}

/**
 * Fields our subset declares as `int32` where the official type is an enum: the same varint on the
 * wire (proto3 enums are open), read as a number either way. Listed so that each is a decision.
 */
const INT32_FOR_ENUM: ReadonlyMap<string, string> = new Map([
  ['.opentelemetry.proto.logs.v1.LogRecord.severityNumber', '.opentelemetry.proto.logs.v1.SeverityNumber'],
]);

/** What a field is, independent of how its type was spelled: scalar name or the resolved full name. */
function fieldShape(field: protobuf.Field): Record<string, unknown> {
  return {
    id: field.id,
    type: field.resolvedType?.fullName ?? field.type,
    repeated: field.repeated,
    map: field.map,
    oneof: field.partOf?.name ?? null,
  };
}

describe(`our OTLP subset agrees with the official definitions (${OFFICIAL_MODULES.map((m) => `${m.path}@${m.version}`).join(', ')})`, function () {
  this.timeout(300_000);
  let official: protobuf.Root;
  const ours = otlpTypes().Status.root;
  const objects = [...nested(ours)];

  before(async () => {
    official = await officialRoot();
  });

  it('our subset has the messages, enums and services it is meant to have', () => {
    const names = objects.map((o) => o.fullName);
    for (const name of [
      '.opentelemetry.proto.trace.v1.Span',
      '.opentelemetry.proto.logs.v1.LogRecord',
      '.opentelemetry.proto.metrics.v1.Metric',
      '.google.rpc.Status',
      '.google.rpc.RetryInfo',
      '.google.protobuf.Duration',
      '.google.protobuf.Any',
    ]) {
      expect(names).to.include(name);
    }
    expect(
      objects
        .filter((o) => o instanceof protobuf.Service)
        .map((s) => s.fullName)
        .sort(),
    ).to.deep.equal([
      '.opentelemetry.proto.collector.logs.v1.LogsService',
      '.opentelemetry.proto.collector.metrics.v1.MetricsService',
      '.opentelemetry.proto.collector.trace.v1.TraceService',
    ]);
  });

  it('every message field has the official number, type, repeated-ness and oneof', () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (const type of objects.filter((o): o is protobuf.Type => o instanceof protobuf.Type)) {
      const theirs = official.lookup(type.fullName);
      if (!(theirs instanceof protobuf.Type)) {
        mismatches.push(`${type.fullName} is not an official message`);
        continue;
      }
      for (const field of type.fieldsArray) {
        const path = `${type.fullName}.${field.name}`;
        const their = theirs.fields[field.name];
        if (their === undefined) {
          mismatches.push(`${path} is not an official field`);
          continue;
        }
        const expected = fieldShape(their);
        const allowed = INT32_FOR_ENUM.get(path);
        if (allowed !== undefined && expected['type'] === allowed && field.type === 'int32') expected['type'] = 'int32';
        const actual = JSON.stringify(fieldShape(field));
        if (actual !== JSON.stringify(expected)) mismatches.push(`${path}: ours ${actual}, official ${JSON.stringify(fieldShape(their))}`);
        checked++;
      }
    }
    expect(mismatches).to.deep.equal([]);
    expect(checked).to.be.greaterThan(100);
  });

  it('every enum value has the official number', () => {
    for (const en of objects.filter((o): o is protobuf.Enum => o instanceof protobuf.Enum)) {
      const theirs = official.lookup(en.fullName);
      expect(theirs, `${en.fullName} is an official enum`).to.be.instanceOf(protobuf.Enum);
      if (!(theirs instanceof protobuf.Enum)) continue;
      for (const [name, value] of Object.entries(en.values)) expect(theirs.values[name], `${en.fullName}.${name}`).to.equal(value);
    }
  });

  it('the services have the official methods, request and response types, and gRPC paths', () => {
    for (const [signal, types] of Object.entries(otlpTypes().signals)) {
      const theirs = official.lookupService(types.service.fullName);
      expect(Object.keys(types.service.methods), signal).to.deep.equal(Object.keys(theirs.methods));
      for (const [name, method] of Object.entries(types.service.methods)) {
        const their = theirs.methods[name];
        expect(method.resolvedRequestType?.fullName, `${signal} ${name} request`).to.equal(their?.resolvedRequestType?.fullName);
        expect(method.resolvedResponseType?.fullName, `${signal} ${name} response`).to.equal(their?.resolvedResponseType?.fullName);
        expect(method.requestStream ?? false).to.equal(their?.requestStream ?? false);
        expect(method.responseStream ?? false).to.equal(their?.responseStream ?? false);
      }
      expect(types.request.fullName).to.equal(theirs.methods['Export']?.resolvedRequestType?.fullName);
    }
  });
});
