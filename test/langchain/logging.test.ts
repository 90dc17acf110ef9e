/**
 * The handler's logging (issue 16, point 5): its component logger (`aim-otel-bridge/langchain`)
 * and the package's rate limit for lines that repeat per callback.
 */
import { expect } from 'chai';
import { diag } from '@opentelemetry/api';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { recordDiag } from '../logging/recording-logger.js';
import { createTracing } from './helpers.js';

describe('langchain handler: logging', () => {
  afterEach(() => {
    diag.disable();
  });

  it('a failing callback is counted every time and logged once per 10 s, by the langchain component, with its stack', () => {
    const logger = recordDiag();
    const { provider } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('hostile getter');
        },
      },
    );
    for (let i = 0; i < 20; i += 1) handler.handleAgentAction(hostile as never, 'run');
    expect(handler.stats.callbackErrors).to.equal(20);
    const lines = logger.calls.filter((call) => call.args.some((arg) => String(arg).includes('handleAgentAction failed')));
    expect(lines).to.have.length(1);
    expect(lines[0]?.level).to.equal('error');
    expect(lines[0]?.args[0]).to.equal('aim-otel-bridge/langchain');
    expect(String(lines[0]?.args[1])).to.include('hostile getter').and.to.include('at ');
  });

  it('an invalid option is reported by the langchain component', () => {
    const logger = recordDiag();
    new GenAICallbackHandler({ maxOpenRuns: -1 });
    expect(logger.calls.map((call) => call.args.map(String).join(' '))).to.include.members([
      'aim-otel-bridge/langchain maxOpenRuns=-1 is invalid (minimum 1); using 10000',
    ]);
  });
});
