/**
 * Issue 8, point 5 and issue 17, point 3: seen in a real browser. `npm start` (`aim-otel-bridge up
 * --demo`) runs as a user starts it, until Ctrl-C; headless Chromium (Debian's, driven by
 * playwright-core) opens the Aim UI and finds the demo run, its metrics and its texts, the trace
 * waterfall in the run's Figures tab (with a model call's cost on hover) and the cost metric in
 * the Metrics explorer. Screenshots go to a temporary directory, and with UPDATE_SCREENSHOT=1 to
 * test/browser/ (the README's): aim-ui-demo-run.png, aim-ui-trace-waterfall.png,
 * aim-ui-cost-metric.png. Then Ctrl-C stops everything `up` started.
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
    if (Date.now() > deadline)
      throw new Error(`the page ${page.url()} does not show ${JSON.stringify(expected.filter((item) => !text.includes(item)))}:\n${text.slice(0, 3000)}`);
    await page.waitForTimeout(500);
  }
}

/** Dismisses Aim's community pop-up when it shows. */
async function skipPopUp(page: Page): Promise<void> {
  const skip = page.getByText('Skip', { exact: true });
  if (await skip.isVisible()) await skip.click({ timeout: 10_000 });
}

const SHOTS = mkdtempSync(join(tmpdir(), 'aim-ui-'));

/** Screenshots the page into a temporary file, and into test/browser/ (the README's) with UPDATE_SCREENSHOT=1. */
async function screenshot(page: Page, name: string): Promise<void> {
  const shot = join(SHOTS, name);
  await page.screenshot({ path: shot });
  if (process.env['UPDATE_SCREENSHOT'] === '1') {
    mkdirSync(join(REPO_ROOT, 'test', 'browser'), { recursive: true });
    copyFileSync(shot, join(REPO_ROOT, 'test', 'browser', name));
  }
}

/**
 * An explorer's state as the Aim UI (3.29.1) puts it in its URLs (utils/encoder/encoder.ts,
 * `aim64encode`): `O-` and the base64 of the URI-encoded JSON, `+/` as `-_`, without padding.
 */
function explorerState(value: unknown): string {
  return `O-${Buffer.from(encodeURI(JSON.stringify(value)), 'latin1')
    .toString('base64')
    .replace(/=+$/, '')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')}`;
}

describe('the demo run in the Aim UI, seen by headless Chromium', function () {
  this.timeout(300_000);
  let up: CliProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let uiUrl: string;
  let runHash: string;
  let ports: number[];

  before(async () => {
    const executablePath = findChromium();
    if (executablePath === undefined) throw new Error("no Chromium: `npm run peers` installs Debian's chromium");
    const dataDir = mkdtempSync(join(tmpdir(), 'up-browser-'));
    // Literally `npm start` (= up --demo), on free ports; Ctrl-C below reaches npm, tsx and node, as in a terminal.
    up = new CliProcess(['--data-dir', dataDir, '--aim-port', '0', '--ui-port', '0', '--port', '0'], { npmStart: true });
    await up.waitFor(/Press Ctrl-C/);
    const addresses = printed(up.stdout);
    ({ uiUrl, runHash } = addresses);
    ports = [addresses.aimPort, Number(new URL(uiUrl).port), addresses.receiverPort];

    // Chromium's sandbox needs user namespaces, which containers (and root) usually lack.
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await up?.stop();
  });

  it('finds the run, its metrics and its texts', async () => {
    // The run: its experiment and name (the agent and the conversation) in the run page's header.
    await page.goto(`${uiUrl}/runs/${runHash}`);
    const overview = await textWith(page, ['aim-otel-bridge-demo', 'calculator · conversation demo-', runHash]);
    // Findable: the conversation id and the bounded link to its traces are params.
    for (const param of ['otel.resource', 'gen_ai.conversation.id', 'otel.traces.count', 'otel.traces.first']) expect(overview).to.contain(param);

    // Its metrics: token usage, durations and cost of both models.
    await page.goto(`${uiUrl}/runs/${runHash}/metrics`);
    await textWith(page, [
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.output_tokens',
      'gen_ai.client.operation.duration',
      'gen_ai.usage.cost',
      'model="fake-calculator"',
      'model="fake-summarizer"',
    ]);

    // Its texts: the sequences, and a prompt opened.
    await page.goto(`${uiUrl}/runs/${runHash}/texts`);
    await textWith(page, ['on_llm_start', 'on_llm_end', 'on_tool_start', 'on_tool_end', 'on_agent_action', 'on_agent_finish']);
    await skipPopUp(page);
    await page.getByText('on_llm_start', { exact: true }).click({ timeout: 15_000 });
    await page
      .getByText(/action="on_llm_start".*model="fake-calculator"/)
      .first()
      .click({ timeout: 15_000 });
    await textWith(page, ['user: What is (3 + 4) × 5?']);
    await screenshot(page, 'aim-ui-demo-run.png');
  });

  it("shows the run's trace waterfall in its Figures tab: the spans of both traces, coloured by operation, a model call's cost on hover", async () => {
    await page.goto(`${uiUrl}/runs/${runHash}/figures`);
    await skipPopUp(page);
    // The agent's trace (its three model calls and two tools) and the summary chain's (one model call).
    await textWith(
      page,
      [
        'otel.trace_waterfall',
        'Trace waterfall: 2 traces, 8 spans',
        'invoke_agent calculator',
        'execute_tool add',
        'execute_tool multiply',
        'chat fake-summarizer',
      ],
      15_000,
    );
    await skipPopUp(page);
    expect(await page.locator('.legend .legendtext').allTextContents()).to.include.members(['chat', 'execute_tool', 'invoke_agent']);

    // Hover each bar until the summarizer's call shows: 40 input and 14 output tokens at the demo
    // prices (gpt-4o-mini's: $0.15 and $0.60 per million) cost 40 × 0.15 + 14 × 0.6 = 14.4 µ$.
    const bars = page.locator('.barlayer .point');
    const count = await bars.count();
    expect(count).to.equal(8);
    let hover = '';
    for (let i = 0; i < count && !hover.includes('chat · fake-summarizer'); i += 1) {
      const box = await bars.nth(i).boundingBox();
      if (box === null) continue;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForTimeout(300);
      hover = (await page.locator('.hoverlayer').textContent()) ?? '';
    }
    expect(hover).to.contain('tokens: 40 in · 14 out · 54 total');
    expect(hover).to.contain('cost: $0.0000144');
    await screenshot(page, 'aim-ui-trace-waterfall.png');
  });

  it('charts the cost metric in the Metrics explorer, a line per model, the demo run in its table', async () => {
    // The explorer as a user leaves it after picking gen_ai.usage.cost, colouring by model and
    // aligning on absolute time (the state the UI keeps in its URL).
    const select = {
      options: [{ label: 'gen_ai.usage.cost', group: 'metrics', color: '#3E72E7', value: { option_name: 'gen_ai.usage.cost', context: null } }],
      query: '',
      advancedMode: false,
      advancedQuery: '',
    };
    const grouping = { color: ['context.model'] };
    const chart = { alignmentConfig: { type: 'absolute_time', metric: '' } };
    await page.goto(`${uiUrl}/metrics?grouping=${explorerState(grouping)}&chart=${explorerState(chart)}&select=${explorerState(select)}`);
    await skipPopUp(page);
    // The query the UI made of it, its colour legend (one model each) and the run in the table.
    await textWith(page, [
      'metric.name="gen_ai.usage.cost"',
      '"fake-calculator"',
      '"fake-summarizer"',
      'calculator · conversation demo-',
      'aim-otel-bridge-demo',
    ]);
    await skipPopUp(page);
    // Two lines drawn: the calculator's three calls and the summarizer's one.
    const lines = page.locator('path.Line');
    expect(await lines.count()).to.equal(2);
    for (const line of await lines.all()) expect(await line.getAttribute('d')).to.match(/^M[\d.]+,[\d.]+/);
    await screenshot(page, 'aim-ui-cost-metric.png');
  });

  it('Ctrl-C then stops aim server, the UI and the bridge', async () => {
    if (up === undefined) throw new Error('up did not start');
    // Ctrl-C (to npm's whole process group): up stops everything it started. npm itself ends as
    // npm does on Ctrl-C (by the signal); up, which writes to the same pipe, says when it is done.
    up.interrupt();
    await up.waitFor(/stopped: aim server, the Aim UI and the bridge receiver are down/, 60_000);
    await up.closed;
    expect(up.stdout).to.contain('SIGINT: stopping everything up started');
    expect(up.stdout).to.not.contain('killing everything up started, now');
    for (const port of ports) expect(await isListening(port), `port ${String(port)}`).to.equal(false);
    up = undefined;
  });
});
