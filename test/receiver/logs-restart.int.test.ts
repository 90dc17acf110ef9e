import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type BridgeProcess, startBridge } from '../peers/bridge.js';
import { readAimRepo } from '../peers/oracle.js';
import { CALL_CONTEXT, sendEvents, sendSpan } from './genai-otlp.js';

describe('logs after a SIGKILL: a bridge with --state-dir still joins events to the spans it wrote before (real processes)', function () {
  this.timeout(120_000);
  let aim: AimServer;
  before(async () => {
    aim = await startAimServer();
  });
  after(async () => {
    await aim.process.stop();
  });

  it('events retried after the restart land in their span’s run and context at once, not in the fallback after the window', async () => {
    // A window far longer than the test: events can only land by joining their span.
    const env = { AIM_OTEL_BRIDGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'bridge-state-')), AIM_OTEL_BRIDGE_LOG_JOIN_WINDOW_MS: '600000' };
    let bridge: BridgeProcess = await startBridge(aim.url, { env });
    try {
      const span = await sendSpan(bridge.url, 'conv-restart');
      bridge.process.signal('SIGKILL');
      await bridge.process.stop();
      bridge = await startBridge(aim.url, { port: bridge.port, env });
      const started = Date.now();
      await sendEvents(bridge.url, span);
      expect(Date.now() - started, 'joined at once, without waiting for the window').to.be.below(10_000);
      const run = (await readAimRepo(aim.repoDir, [runHash('conv-restart')])).runs[0];
      const start = run?.sequences.find((s) => s.name === 'on_llm_start');
      expect(start?.values).to.deep.equal(['system: You are terse.\nuser: Colour of the sky?']);
      expect(start?.context).to.deep.equal({ action: 'on_llm_start', ...CALL_CONTEXT });
      expect(start?.steps).to.deep.equal(run?.sequences.find((s) => s.name === 'gen_ai.usage.input_tokens')?.steps);
      expect(run?.sequences.find((s) => s.name === 'on_llm_end')?.values).to.deep.equal(['assistant: Blue.']);
    } finally {
      await bridge.process.stop();
    }
  });
});
