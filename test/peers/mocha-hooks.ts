/**
 * Mocha root hooks for every test file: when a test fails (or times out), print the log of each
 * peer it started or that is still running; after the run, stop every peer the tests started and
 * print a plain `tests: N passed, N failed` line that CI can read.
 */
import type { Context } from 'mocha';
import { nextPeerSerial, peersToReport, stopAllPeers } from '../../src/up/peer-process.js';

let firstSerialOfTest = 0;
const counts = { passed: 0, failed: 0 };

export const mochaHooks = {
  beforeEach(): void {
    firstSerialOfTest = nextPeerSerial();
  },
  afterEach(this: Context): void {
    const state = this.currentTest?.state;
    if (state === 'passed') counts.passed += 1;
    if (state !== 'failed') return;
    counts.failed += 1;
    for (const peer of peersToReport(firstSerialOfTest)) {
      console.log(`\n----- ${peer.name} (${peer.describeExit()}), log ${peer.logFile}, last lines -----\n${peer.logTail()}\n-----`);
    }
  },
  async afterAll(): Promise<void> {
    await stopAllPeers();
    console.log(`\ntests: ${String(counts.passed)} passed, ${String(counts.failed)} failed`);
  },
};
