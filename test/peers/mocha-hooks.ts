/**
 * Mocha root hooks for every test file: when a test fails (or times out), print the log of each
 * peer it started or that is still running; after the run, stop every peer the tests started.
 */
import type { Context } from 'mocha';
import { nextPeerSerial, peersToReport, stopAllPeers } from './peer-process.js';

let firstSerialOfTest = 0;

export const mochaHooks = {
  beforeEach(): void {
    firstSerialOfTest = nextPeerSerial();
  },
  afterEach(this: Context): void {
    if (this.currentTest?.state !== 'failed') return;
    for (const peer of peersToReport(firstSerialOfTest)) {
      console.log(`\n----- ${peer.name} (${peer.describeExit()}), log ${peer.logFile}, last lines -----\n${peer.logTail()}\n-----`);
    }
  },
  async afterAll(): Promise<void> {
    await stopAllPeers();
  },
};
