/**
 * The root entry's public names (issue 15: the root lists its names, keeps internals and the
 * receiver out). The list is the API: adding or removing a name is a deliberate change to it.
 */
import { expect } from 'chai';
import * as root from '../src/index.js';

describe('the root entry (aim-otel-bridge)', () => {
  it('exports exactly its documented names: handlers, exporter, Aim repository and run, errors, GenAI conventions', () => {
    expect(Object.keys(root).sort()).to.deep.equal([
      'AimCallbackHandler',
      'AimClosedError',
      'AimCodecError',
      'AimError',
      'AimProtocolError',
      'AimRepo',
      'AimRun',
      'AimRunLockedError',
      'AimServerError',
      'AimSpanExporter',
      'AimUnavailableError',
      'AimUsageError',
      'DEFAULT_SEMCONV_PROFILE',
      'DURATION_BUCKETS_SECONDS',
      'ERROR_TYPE_OTHER',
      'GenAICallbackHandler',
      'GenAIFinishReason',
      'GenAIOperation',
      'GenAIOutputType',
      'GenAIProvider',
      'GenAITokenType',
      'GenAIToolType',
      'METRIC_GEN_AI_CLIENT_OPERATION_DURATION',
      'METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK',
      'METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK',
      'METRIC_GEN_AI_CLIENT_TOKEN_USAGE',
      'PricesError',
      'TOKEN_USAGE_BUCKETS',
      'VERSION',
      'genAIAttributes',
      'installContextBridge',
      'isBridgeInstalled',
      'isSemconvProfile',
      'runHash',
      'semconvNames',
      'uninstallContextBridge',
    ]);
  });

  it('keeps the receiver and the sink out (they have their own entry, or none)', () => {
    const names = Object.keys(root);
    for (const internal of ['createReceiver', 'AimSink', 'AimSinkOptions', 'hashAuto', 'AimObject']) expect(names, internal).not.to.include(internal);
  });
});
