/** The OTLP/HTTP receiver (`aim-otel-bridge/receiver`): OTLP traces in, Aim runs out. */
export { createReceiver, type Receiver, type ReceiverOptions } from './server.js';
export { decodeTraceRequest, DEFAULT_MAX_BODY_BYTES, type DecodedRequest, type DecodeLimits } from './decode.js';
export { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ReceiverError } from './errors.js';
export { PricesError, type PriceEntry, type PricesOption } from '../pricing/index.js';
