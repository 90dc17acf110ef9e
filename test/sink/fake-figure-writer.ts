/**
 * A {@link FakeAimWriter} whose runs also take figures (`trackFigure`): it records each one with
 * its run, name, step, time and JSON, and the call `trackFigure <hash> <name>` in `calls` (so
 * `failRun` and the `track` failures apply to it too).
 */
import type { FigureTrackOptions, RunSettings } from '../../src/aim/index.js';
import type { RunWriter } from '../../src/sink/aim-writer.js';
import { FakeAimWriter } from './fake-aim-writer.js';

/** A figure a fake run took. */
export interface TrackedFigure {
  hash: string;
  name: string;
  step: bigint | number | undefined;
  time: number | undefined;
  context: unknown;
  json: string;
}

export class FakeFigureWriter extends FakeAimWriter {
  readonly figures: TrackedFigure[] = [];

  override async createRun(settings: RunSettings): Promise<RunWriter> {
    const run = await super.createRun(settings);
    const hash = settings.hash ?? 'random';
    const trackFigure = async (figure: unknown, options: FigureTrackOptions): Promise<void> => {
      this.record('track', `trackFigure ${hash} ${options.name}`, hash);
      this.figures.push({
        hash,
        name: options.name,
        step: options.step,
        time: options.time,
        context: options.context,
        json: typeof figure === 'string' ? figure : JSON.stringify(figure),
      });
      await Promise.resolve();
    };
    return Object.assign(run, { trackFigure });
  }
}
