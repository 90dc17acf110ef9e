/**
 * The codec of Aim's remote tracking protocol (Aim 3.29.1): record framing, path keys, tagged
 * values and tree flattening, byte-compatible with Aim's `pack_args` / `encode_tree` /
 * `decode_tree`. See `aim-wire-protocol.md` §6–§8.
 */
export {
  type AimRecord,
  type ParseRecordsOptions,
  RECORD_OVERHEAD,
  RecordStreamParser,
  countRecords,
  packArrayOfItems,
  packArrayOfPacked,
  packRecords,
  parseRecords,
  recordSize,
} from './framing.js';
export { PATH_SENTINEL, decodePath, encodePath, keyProblem } from './path.js';
export { ARRAY_MARKER, type AimMarker, type AimScalar, AimTag, OBJECT_MARKER, customMarker, decodeValue, encodeValue, isI64, isMarker } from './value.js';
export {
  DEFAULT_MAX_LIST_PADDING,
  type DecodeTreeOptions,
  MAX_TREE_DEPTH,
  type PackedArrayItem,
  decodeTree,
  encodeTree,
  packArrayItem,
  packTree,
  unpackTree,
} from './tree.js';
export { AimBlob, type AimKey, AimObject, type AimPath, type AimValue, aimResource, aimText } from './values.js';
export { AimCodecError, AimEncodeError } from '../errors.js';
