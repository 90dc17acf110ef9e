import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO_ROOT } from './peers/cache.js';

const run = promisify(execFile);

/** Runs the CLI from source the way `npm start` does; resolves to its exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli.ts', ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('aim-otel-bridge CLI', function () {
  this.timeout(30_000);

  it('prints the package version', async () => {
    const { code, stdout } = await cli('--version');
    expect(code).to.equal(0);
    expect(stdout.trim()).to.match(/^\d+\.\d+\.\d+/);
  });

  it('`up --demo` (what npm start runs) says it is not available yet and exits non-zero', async () => {
    const { code, stderr } = await cli('up', '--demo');
    expect(code).to.equal(2);
    expect(stderr).to.contain('not available yet');
  });
});
