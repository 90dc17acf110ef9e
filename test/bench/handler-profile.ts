/**
 * `node --import tsx test/bench/handler-profile.ts FILE.cpuprofile [--invokes N] [--top 30]`: where a
 * contender's time goes, from a CPU profile of its turns (`handler-worker.ts NAME --invokes N
 * --cpu-profile FILE`). Prints, per invoke when `--invokes` is given (else in ms):
 *
 * - self time by owner: our handler (src/langchain), OpenTelemetry, LangChain, LangSmith, the
 *   callback queue, GC, Node internals, native code;
 * - the time spent on behalf of our handler, by its innermost frame in src/langchain (that
 *   function's own time plus the library code it calls: the SDK's span work, LangChain's
 *   serialisation…); LangChain's own work that the context bridge wraps (the model and tool
 *   calls) is left out, the bridge's own time is not;
 * - the functions with the most self time.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, positiveInteger } from './rounds.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const OURS = '/src/langchain/';

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/src\//, 'src/');
}

function owner(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url.includes(OURS)) return 'ours (src/langchain)';
  if (url.includes('/test/bench/')) return 'bench';
  if (url.includes('@opentelemetry/')) return 'opentelemetry';
  if (url.includes('@langchain/')) return 'langchain';
  if (url.includes('/langsmith/')) return 'langsmith';
  if (url.includes('/p-queue/')) return 'callback queue (p-queue)';
  if (url.includes('node_modules')) return `other: ${shortUrl(url).split('/')[0] ?? url}`;
  if (url.startsWith('node:')) return 'node internals';
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)' || functionName === '(program)' || functionName === '(root)') return functionName;
  return 'native';
}

function table(rows: Map<string, number>, scale: number, unit: string, top: number): string {
  return [...rows]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => `${(us / scale).toFixed(2).padStart(10)} ${unit}  ${key}`)
    .join('\n');
}

function main(): void {
  const { positional, options } = parseArgs(process.argv.slice(2));
  const file = positional[0];
  if (file === undefined) throw new Error('usage: handler-profile.ts FILE.cpuprofile [--invokes N] [--top 30]');
  const invokes = options.has('invokes') ? positiveInteger(options.get('invokes'), 1, '--invokes') : undefined;
  const top = positiveInteger(options.get('top'), 30, '--top');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const byOwner = new Map<string, number>();
  const selfTime = new Map<string, number>();
  const onBehalf = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = nodes.get(id);
    if (node === undefined) return;
    const frame = node.callFrame;
    const who = owner(frame);
    if (who !== '(idle)') total += us;
    byOwner.set(who, (byOwner.get(who) ?? 0) + us);
    const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${String(frame.lineNumber + 1)}`;
    selfTime.set(name, (selfTime.get(name) ?? 0) + us);
    // The innermost frame of ours up the stack, unless it is the context bridge running LangChain.
    let underLangChain = false;
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const up = nodes.get(current)?.callFrame;
      if (up === undefined) break;
      if (!up.url.includes(OURS)) {
        underLangChain ||= up.url.includes('@langchain/');
        continue;
      }
      if (up.url.includes('context-bridge') && underLangChain) break;
      const key = `${up.functionName || '(anonymous)'} ${shortUrl(up.url)}`;
      onBehalf.set(key, (onBehalf.get(key) ?? 0) + us);
      break;
    }
  });
  const scale = invokes ?? 1000;
  const unit = invokes !== undefined ? 'us/invoke' : 'ms';
  const ours = [...onBehalf.values()].reduce((sum, us) => sum + us, 0);
  console.log(`profile ${file}: ${(total / scale).toFixed(1)} ${unit} not idle; on behalf of our handler ${(ours / scale).toFixed(1)} ${unit}`);
  console.log(`\nself time by owner\n${table(byOwner, scale, unit, 20)}`);
  console.log(`\non behalf of our handler (innermost src/langchain frame, with the library code it calls)\n${table(onBehalf, scale, unit, top)}`);
  console.log(`\nfunctions by self time\n${table(selfTime, scale, unit, top)}`);
}

main();
