/**
 * `npm run peers`: provisions every real peer the tests run against, each pinned and cached by
 * version outside the clone. Idempotent: a second run only checks the caches.
 *
 * Usage: npm run peers [-- aim collector jaeger chromium producers]   (default: all five)
 */
import { COLLECTOR, JAEGER } from './go-peers.js';
import { provisionAim } from './provision-aim.js';
import { provisionChromium } from './provision-chromium.js';
import { provisionGoBinary } from './provision-go.js';
import { provisionProducers } from './provision-producers.js';
import { ProvisionError, formatDuration, progress } from '../../src/up/run-step.js';
import { cacheRoot } from './cache.js';

const STEPS: Record<string, () => Promise<unknown>> = {
  aim: provisionAim,
  collector: () => provisionGoBinary(COLLECTOR),
  jaeger: () => provisionGoBinary(JAEGER),
  chromium: provisionChromium,
  producers: provisionProducers,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in STEPS));
  if (unknown.length > 0) {
    console.error(`unknown peer(s): ${unknown.join(', ')}; choose from ${Object.keys(STEPS).join(', ')}`);
    process.exit(2);
  }
  const started = Date.now();
  progress(`cache: ${cacheRoot()}`);
  for (const [name, step] of Object.entries(STEPS)) {
    if (wanted.length === 0 || wanted.includes(name)) await step();
  }
  progress(`all peers ready in ${formatDuration(Date.now() - started)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ProvisionError ? error.message : error);
  process.exit(1);
});
