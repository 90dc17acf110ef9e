/**
 * The `Content-Type` and `Content-Encoding` headers of an OTLP/HTTP request: which format the body
 * is in, and which codings to undo.
 */
import { parse as parseMediaType } from 'content-type';
import { type OtlpFormat, UnsupportedMediaTypeError } from './errors.js';

/** The media type of each format, as sent in answers (exactly these: the Collector compares them verbatim). */
export const CONTENT_TYPE: Readonly<Record<OtlpFormat, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

const SUPPORTED = `supported: ${CONTENT_TYPE.protobuf}, ${CONTENT_TYPE.json}`;

/**
 * The format named by a `Content-Type` header. Parameters are allowed (`; charset=utf-8`); a JSON
 * charset other than UTF-8 is not. Throws {@link UnsupportedMediaTypeError} (415) for anything else,
 * including a missing or unparsable header.
 */
export function formatOf(contentType: string | undefined): OtlpFormat {
  if (contentType === undefined || contentType.trim() === '') {
    throw new UnsupportedMediaTypeError(`Content-Type is missing (${SUPPORTED})`);
  }
  let type: string;
  let charset: string | undefined;
  try {
    const parsed = parseMediaType(contentType);
    type = parsed.type;
    charset = parsed.parameters.charset;
  } catch {
    throw new UnsupportedMediaTypeError(`Content-Type ${quote(contentType)} is not a valid media type (${SUPPORTED})`);
  }
  if (type === CONTENT_TYPE.protobuf) return 'protobuf';
  if (type === CONTENT_TYPE.json) {
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new UnsupportedMediaTypeError(`JSON must be UTF-8, not charset=${quote(charset)}`, 'json');
    }
    return 'json';
  }
  throw new UnsupportedMediaTypeError(`Content-Type ${quote(type)} is not supported (${SUPPORTED})`);
}

/**
 * The format to answer a request in, whatever its fate: JSON when the `Content-Type` header's media
 * type is `application/json` (even with parameters {@link formatOf} refuses, such as a charset
 * other than UTF-8, or malformed ones), else protobuf — also for a missing or unsupported type, as
 * OTLP/HTTP falls back to protobuf when the request's encoding cannot be told. Never throws: it
 * picks the body of error answers given before (or instead of) reading the request.
 */
export function answerFormatOf(contentType: string | undefined): OtlpFormat {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase();
  return type === CONTENT_TYPE.json ? 'json' : 'protobuf';
}

/** A content coding the receiver can undo. */
export type ContentCoding = 'gzip' | 'deflate';

/** Codings beyond this many in one header are refused (nobody stacks them; a bomb might). */
const MAX_CODINGS = 2;

/**
 * The codings of a `Content-Encoding` header, in the order they were applied (undo them last to
 * first). `identity` and an empty or missing header mean none. `x-gzip` is `gzip`; `zlib` (what
 * the Collector sends for `compression: zlib`) is `deflate`. Names are case-insensitive. Anything
 * else (`br`, `zstd`, `snappy`, `lz4`, ...) throws {@link UnsupportedMediaTypeError} (415), which
 * carries `format` (the request's, when known) so that the answer can be given in it.
 */
export function codingsOf(contentEncoding: string | undefined, format?: OtlpFormat): ContentCoding[] {
  if (contentEncoding === undefined) return [];
  const codings: ContentCoding[] = [];
  for (const raw of contentEncoding.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '' || name === 'identity') continue;
    if (name === 'gzip' || name === 'x-gzip') codings.push('gzip');
    else if (name === 'deflate' || name === 'zlib') codings.push('deflate');
    else {
      throw new UnsupportedMediaTypeError(`Content-Encoding ${quote(raw.trim())} is not supported (supported: gzip, deflate, zlib, identity)`, format);
    }
  }
  if (codings.length > MAX_CODINGS) {
    throw new UnsupportedMediaTypeError(`Content-Encoding lists ${codings.length} codings; at most ${MAX_CODINGS} are accepted`, format);
  }
  return codings;
}

/** A header value quoted for a message, cut to a sane length (it is the sender's text). */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
