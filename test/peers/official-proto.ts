/**
 * The OFFICIAL OTLP, `google.rpc` and `google.protobuf` definitions, pinned, for checking our subset
 * (src/receiver/otlp-proto.ts) against them. Fetched through Go's module proxy into Go's module
 * cache (shared with the Collector and Jaeger builds, see provision-go.ts), lazily on first use.
 *
 * The proxy does not serve `github.com/open-telemetry/opentelemetry-proto` itself (403 "not
 * available": the repository has no go.mod), so the pin is its official generated Go module,
 * `go.opentelemetry.io/proto/otlp` (built by the OpenTelemetry project with protoc from those .proto
 * files): every `.pb.go` embeds its `.proto` file compiled to a `FileDescriptorProto` (`rawDesc`),
 * which protobufjs turns back into reflection types. `go mod download` checks each module against
 * the Go checksum database; the `h1:` hashes below pin the exact contents.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor.js';

/** A Go module holding official generated code, and the `.pb.go` files to read from it. */
export interface OfficialModule {
  readonly path: string;
  readonly version: string;
  /** The module's `h1:` hash as the Go checksum database records it. */
  readonly sum: string;
  readonly files: readonly string[];
}

/** The pins. */
export const OFFICIAL_MODULES: readonly OfficialModule[] = [
  {
    path: 'go.opentelemetry.io/proto/otlp',
    version: 'v1.9.0',
    sum: 'h1:l706jCMITVouPOqEnii2fIAuO3IVGBRPV5ICjceRb/A=',
    files: [
      'common/v1/common.pb.go',
      'resource/v1/resource.pb.go',
      'trace/v1/trace.pb.go',
      'logs/v1/logs.pb.go',
      'metrics/v1/metrics.pb.go',
      'collector/trace/v1/trace_service.pb.go',
      'collector/logs/v1/logs_service.pb.go',
      'collector/metrics/v1/metrics_service.pb.go',
    ],
  },
  {
    path: 'google.golang.org/genproto/googleapis/rpc',
    version: 'v0.0.0-20260803160001-6ac0973c030d',
    sum: 'h1:IL4hdHzcUv2l/gcg98/Rj3FbtE6axwqslOW8SW0C+S0=',
    files: ['status/status.pb.go', 'errdetails/error_details.pb.go'],
  },
  {
    path: 'google.golang.org/protobuf',
    version: 'v1.36.12',
    sum: 'h1:pJOKDDOyeXErUroCihFAd5LQuwXBSpVnKGrj5o/fwxc=',
    files: ['types/known/anypb/any.pb.go', 'types/known/durationpb/duration.pb.go'],
  },
];

const run = promisify(execFile);

/** Downloads (or finds in Go's module cache) `module` and returns its directory; fails unless its hash is the pinned one. */
export async function downloadModule(module: OfficialModule): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run('go', ['mod', 'download', '-json', `${module.path}@${module.version}`], {
      cwd: tmpdir(),
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
      timeout: 300_000,
    }));
  } catch (error) {
    const failed = error as { stdout?: string; message: string };
    throw new Error(
      `cannot fetch the official definitions ${module.path}@${module.version} through the Go module proxy (Go must be installed and the proxy reachable): ${failed.stdout ?? failed.message}`,
    );
  }
  const info = JSON.parse(stdout) as { Dir?: string; Sum?: string; Error?: string };
  if (info.Error !== undefined || info.Dir === undefined) throw new Error(`go mod download ${module.path}@${module.version}: ${info.Error ?? 'no directory'}`);
  if (info.Sum !== module.sum) throw new Error(`${module.path}@${module.version} has hash ${String(info.Sum)}, pinned ${module.sum}`);
  return info.Dir;
}

/** The bytes of the `FileDescriptorProto` a `.pb.go` file embeds (`rawDesc`, as a `[]byte{...}` literal or a Go string constant). */
export function rawDescriptor(goSource: string, file: string): Uint8Array {
  const bytes = /\bvar file_\w+_rawDesc = \[\]byte\{([^}]*)\}/.exec(goSource);
  if (bytes?.[1] !== undefined)
    return Uint8Array.from(
      bytes[1]
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b !== '')
        .map((b) => Number.parseInt(b, 16)),
    );
  const text = /\bconst file_\w+_rawDesc = ((?:"(?:[^"\\\n]|\\.)*"\s*\+?\s*)+)/.exec(goSource);
  if (text?.[1] !== undefined) {
    const out: number[] = [];
    for (const literal of text[1].matchAll(/"((?:[^"\\\n]|\\.)*)"/g)) out.push(...goStringBytes(literal[1] ?? ''));
    return Uint8Array.from(out);
  }
  throw new Error(`no rawDesc in ${file}`);
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34 };

/** The bytes of a Go interpreted string literal's contents. */
function goStringBytes(literal: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < literal.length; i++) {
    const char = literal[i] ?? '';
    if (char !== '\\') {
      out.push(...Buffer.from(char, 'utf8'));
      continue;
    }
    const next = literal[++i] ?? '';
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out.push(simple);
    } else if (next === 'x') {
      out.push(Number.parseInt(literal.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(next)) {
      out.push(Number.parseInt(literal.slice(i, i + 3), 8));
      i += 2;
    } else if (next === 'u' || next === 'U') {
      const digits = next === 'u' ? 4 : 8;
      out.push(...Buffer.from(String.fromCodePoint(Number.parseInt(literal.slice(i + 1, i + 1 + digits), 16)), 'utf8'));
      i += digits;
    } else {
      throw new Error(`unknown Go escape \\${next}`);
    }
  }
  return out;
}

/** A protobufjs root of every pinned official file (downloaded first when needed). */
export async function officialRoot(): Promise<protobuf.Root> {
  const files: unknown[] = [];
  for (const module of OFFICIAL_MODULES) {
    const dir = await downloadModule(module);
    for (const file of module.files) files.push(descriptor.FileDescriptorProto.decode(rawDescriptor(readFileSync(join(dir, file), 'utf8'), file)));
  }
  const root = protobuf.Root.fromDescriptor({ file: files } as descriptor.IFileDescriptorSet);
  root.resolveAll();
  return root;
}
