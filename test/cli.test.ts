import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  this.timeout(60_000);

  it('prints the package version', async () => {
    const { code, stdout } = await cli('--version');
    expect(code).to.equal(0);
    expect(stdout.trim()).to.match(/^\d+\.\d+\.\d+/);
  });

  it('`up --help` lists every flag with its environment variable', async () => {
    const { code, stdout } = await cli('up', '--help');
    expect(code).to.equal(0);
    for (const flag of ['--demo', '--once', '--data-dir', '--aim-port', '--ui-port', '--port']) expect(stdout).to.contain(flag);
    for (const env of ['AIM_OTEL_BRIDGE_DATA_DIR', 'AIM_OTEL_BRIDGE_AIM_PORT', 'AIM_OTEL_BRIDGE_UI_PORT', 'AIM_OTEL_BRIDGE_PORT'])
      expect(stdout).to.contain(env);
  });

  it('`up` with a port in use fails with a message that names the port and the flag to change it', async () => {
    const busy = createServer();
    await new Promise<void>((listening) => busy.listen(0, '127.0.0.1', listening));
    const port = (busy.address() as AddressInfo).port;
    try {
      const { code, stderr } = await cli('up', '--data-dir', mkdtempSync(join(tmpdir(), 'up-busy-')), '--aim-port', String(port));
      expect(code).to.equal(1);
      expect(stderr)
        .to.contain(`port ${String(port)} (aim server) is already in use`)
        .and.contain('--aim-port');
    } finally {
      busy.close();
    }
  });
});
