// Runs before `npm test` and `npm start`: installs the locked npm dependencies when node_modules
// is missing or was installed from another package-lock.json, so a fresh clone needs no other step.
// Plain Node, no dependencies: it runs before any are installed.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lockFile = join(root, 'package-lock.json');
const stampFile = join(root, 'node_modules', '.aim-otel-bridge-lock.sha256');

const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex');
const installedHash = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';

if (installedHash !== lockHash) {
  console.log('[deps] installing npm dependencies from package-lock.json (npm ci)...');
  const started = Date.now();
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stampFile, `${lockHash}\n`);
  console.log(`[deps] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
