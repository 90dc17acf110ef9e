/** The OTLP/HTTP receiver (`aim-otel-bridge/receiver`): OTLP traces in, Aim runs out. */
export { createReceiver, type Receiver, type ReceiverOptions } from './server.js';
export { type Credential, CredentialsError, DEFAULT_TOKEN_FILE_RELOAD_MS } from './credentials.js';
export { UnauthenticatedBindError, isLoopback } from './bind-guard.js';
export type { TenantScope } from './tenant-scope.js';
export { type ReceiverTlsOptions, TlsConfigError, DEFAULT_TLS_RELOAD_INTERVAL_MS, clientCertificatesRequired } from './tls.js';
export { decodeTraceRequest, DEFAULT_MAX_BODY_BYTES, type DecodedRequest, type DecodeLimits } from './decode.js';
export { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ReceiverError } from './errors.js';
export { PricesError, type PriceEntry, type PricesOption } from '../pricing/index.js';
