/**
 * Issue 8, point 5: seen in a real browser. `npm start` (`aim-otel-bridge up --demo`) runs as a
 * user starts it, until Ctrl-C; headless Chromium (Debian's, driven by playwright-core) opens the Aim UI and
 * finds the demo run, its metrics and its texts. The screenshot of the texts tab is written to a
 * temporary file, and to test/browser/aim-ui-demo-run.png (the README's) with UPDATE_SCREENSHOT=1.
 * Then Ctrl-C stops everything `up` started.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type Browser, type Page, chromium } from 'playwright-core';
import { REPO_ROOT } from './peers/cache.js';
import { isListening } from '../src/up/ports.js';
import { findChromium } from './peers/provision-chromium.js';
import { CliProcess, printed } from './peers/cli-process.js';

/** The page's visible text once it contains every `expected` string (the UI loads data after the page). */
async function textWith(page: Page, expected: readonly string[], timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await page.locator('body').innerText();
    if (expected.every((item) => text.includes(item))) return text;
    if (Date.now() > deadline) throw new Error(`the page ${page.url()} does not show ${JSON.stringify(expected.filter((item) => !text.includes(item)))}:\n${text.slice(0, 3000)}`);
    await page.waitForTimeout(500);
  }
}

describe('the demo run in the Aim UI, seen by headless Chromium', function () {
  this.timeout(300_000);
  let up: CliProcess | undefined;
  let browser: Browser | undefined;

  after(async () => {
    await browser?.close();
    await up?.stop();
  });

  it('finds the run, its metrics and its texts; Ctrl-C then stops aim server, the UI and the bridge', async () => {
    const executablePath = findChromium();
    if (executablePath === undefined) throw new Error('no Chromium: `npm run peers` installs Debian\'s chromium');
    const dataDir = mkdtempSync(join(tmpdir(), 'up-browser-'));
    // Literally `npm start` (= up --demo), on free ports; Ctrl-C below reaches npm, tsx and node, as in a terminal.
    up = new CliProcess(['--data-dir', dataDir, '--aim-port', '0', '--ui-port', '0', '--port', '0'], { npmStart: true });
    await up.waitFor(/Press Ctrl-C/);
    const { uiUrl, runHash, aimPort, receiverPort } = printed(up.stdout);

    // Chromium's sandbox needs user namespaces, which containers (and root) usually lack.
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

    // The run: its experiment and name (the agent and the conversation) in the run page's header.
    await page.goto(`${uiUrl}/runs/${runHash}`);
    const overview = await textWith(page, ['aim-otel-bridge-demo', 'calculator · conversation demo-', runHash]);
    // Findable: the conversation id and the bounded link to its traces are params.
    for (const param of ['otel.resource', 'gen_ai.conversation.id', 'otel.traces.count', 'otel.traces.first']) expect(overview).to.contain(param);

    // Its metrics: token usage and durations of both models.
    await page.goto(`${uiUrl}/runs/${runHash}/metrics`);
    await textWith(page, ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.client.operation.duration', 'model="fake-calculator"', 'model="fake-summarizer"']);

    // Its texts: the sequences, and a prompt opened.
    await page.goto(`${uiUrl}/runs/${runHash}/texts`);
    await textWith(page, ['on_llm_start', 'on_llm_end', 'on_tool_start', 'on_tool_end', 'on_agent_action', 'on_agent_finish']);
    const skip = page.getByText('Skip', { exact: true });
    if (await skip.isVisible()) await skip.click({ timeout: 10_000 }); // Aim's community pop-up
    await page.getByText('on_llm_start', { exact: true }).click({ timeout: 15_000 });
    await page.getByText(/action="on_llm_start".*model="fake-calculator"/).first().click({ timeout: 15_000 });
    await textWith(page, ['user: What is (3 + 4) × 5?']);

    const shot = join(mkdtempSync(join(tmpdir(), 'aim-ui-')), 'aim-ui-demo-run.png');
    await page.screenshot({ path: shot });
    if (process.env['UPDATE_SCREENSHOT'] === '1') {
      mkdirSync(join(REPO_ROOT, 'test', 'browser'), { recursive: true });
      copyFileSync(shot, join(REPO_ROOT, 'test', 'browser', 'aim-ui-demo-run.png'));
    }

    // Ctrl-C (to npm's whole process group): up stops everything it started. npm itself ends as
    // npm does on Ctrl-C (by the signal); up, which writes to the same pipe, says when it is done.
    up.interrupt();
    await up.waitFor(/stopped: aim server, the Aim UI and the bridge receiver are down/, 60_000);
    await up.closed;
    expect(up.stdout).to.contain('SIGINT: stopping everything up started');
    expect(up.stdout).to.not.contain('killing everything up started, now');
    for (const port of [aimPort, Number(new URL(uiUrl).port), receiverPort]) expect(await isListening(port), `port ${String(port)}`).to.equal(false);
    up = undefined;
  });
});
