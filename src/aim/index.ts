/** The Aim remote-tracking client: see {@link AimRepo}. */
export { AimRepo } from './repo.js';
export { AimRun, type FigureTrackOptions, type ParamKey, type RunSettings, type TrackOptions, newRunHash } from './run.js';
export { aimFigure, type AimFigureOptions, type PlotlyFigure } from './figure.js';
export type { AimTransportOptions } from './transport.js';
export { parseAimUrl, AIM_DEFAULT_PORT } from './url.js';
export {
  AimError,
  AimCodecError,
  AimServerError,
  AimProtocolError,
  AimUnavailableError,
  AimClosedError,
  AimRunLockedError,
  AimUsageError,
  type AimRemoteException,
} from './errors.js';
export { AimObject, AimBlob, aimText, type AimValue, type AimKey, type AimPath } from './codec/values.js';
export { contextId, hashAuto, stepHash } from './hash.js';
