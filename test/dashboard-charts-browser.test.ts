import { mkdirSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectErrors,
  haveChromium,
  launchChromium,
  warnIfNoChromium,
} from './support/dashboard/chromium.ts';
import {
  startDashboardTestGateway,
  type DashboardTestGateway,
} from './support/dashboard/dashboard-test-gateway.ts';
import { SteppedClock } from './support/dashboard/stepped-clock.ts';

// The dashboard's "Over time" charts in headless Chromium against a real gateway and the simulator,
// on a clock the test steps minute by minute: first the empty state, then five minutes of traffic with
// an incident in the middle (throttling and slow first tokens in eu-west-1, a deployment nobody
// listens at whose breaker opens). The charts' SVG is checked for its structure (series, points per
// bucket, the breaker-open band, cooldowns), not its pixels; screenshots go to test-results/dashboard/.

warnIfNoChromium('dashboard-charts-browser');

const screenshots = 'test-results/dashboard';
const minute = 60_000;
let world: DashboardTestGateway;
let clock: SteppedClock;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  // From a whole minute: every step starts on a bucket boundary. The simulator runs on this clock
  // too, so the Bedrock signatures' dates agree however far the steps go.
  clock = new SteppedClock(Math.floor(Date.now() / minute) * minute);
  world = await startDashboardTestGateway({ clock, latencyScale: 0.5 });
  browser = await launchChromium();
  mkdirSync(screenshots, { recursive: true });
});

afterAll(async () => {
  if (!haveChromium) return;
  await browser.close();
  await world.close();
});

const chart = (page: Page, title: string): Locator =>
  page.locator('#history-charts figure').filter({ has: page.locator('figcaption', { hasText: title }) });

async function seriesPoints(figure: Locator): Promise<Record<string, number>> {
  const groups = await figure.locator('g.series').all();
  const entries = await Promise.all(
    groups.map(async (group) => [
      (await group.getAttribute('data-series')) ?? '',
      Number(await group.getAttribute('data-points')),
    ]),
  );
  return Object.fromEntries(entries) as Record<string, number>;
}

async function chooseRange(page: Page, label: string, buckets: number): Promise<void> {
  await page.getByRole('radio', { name: label }).check();
  await expect
    .poll(() => seriesPoints(chart(page, 'Requests by model group')).then((points) => points.sonnet))
    .toBe(buckets);
}

/** A screenshot of the page from its top to the end of the charts. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  const box = await page.locator('#history').boundingBox();
  const width = page.viewportSize()?.width ?? 1280;
  await page.screenshot({
    path: `${screenshots}/${name}.png`,
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.ceil((box?.y ?? 0) + (box?.height ?? 900)) + 8 },
  });
}

/**
 * Four minutes of traffic, a step every 10 s (one bucket each). The incident is steps 8 to 15:
 * eu-west-1 throttles (sonnet-euw1 cools down, its requests fail over), us-east-1 answers its first
 * token 250 ms late, and legacy's deployment (nobody listening) fails, opens its breaker, and fails
 * again when the breaker lets a trial through (half-open) a minute later.
 */
async function driveTraffic(): Promise<void> {
  const send = async (model: string, times: number): Promise<number[]> => {
    const statuses = [];
    for (let i = 0; i < times; i++) statuses.push(await world.chat(model));
    return statuses;
  };
  for (let step = 0; step < 24; step++) {
    if (step > 0) clock.advance(10_000);
    if (step === 8) {
      world.simulator.addFault({ kind: 'throttle', region: 'eu-west-1' });
      world.simulator.addFault({ kind: 'slow_first_token', region: 'us-east-1', ms: 250 });
    }
    if (step === 16) world.simulator.clearFaults();
    expect(await send('sonnet', 2)).toEqual([200, 200]);
    expect(await send('gpt', 1)).toEqual([200]);
    if (step >= 8 && step < 16) expect((await send('legacy', 1))[0]).toBeGreaterThanOrEqual(500);
  }
}

describe.skipIf(!haveChromium)('dashboard charts in Chromium', () => {
  it('shows empty charts, then traffic, errors, latency, breakers, regions, accounts and spend over time', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(8000);
    const errors = collectErrors(page);
    await page.goto(`${world.gateway.url}/dashboard`);
    await page.getByLabel('Admin key').fill(world.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // No traffic yet: every chart says so, the timeline has a lane per deployment and no band.
    const requests = chart(page, 'Requests and errors');
    await requests.waitFor();
    expect(await page.locator('#history-charts figure').count()).toBe(10);
    expect(await page.locator('#history-charts figure[data-empty="false"]').count()).toBe(0);
    expect(await requests.locator('svg text.empty-text').textContent()).toBe('No requests in this range');
    const timeline = chart(page, 'Breakers and cooldowns');
    expect(await timeline.locator('g.lane').count()).toBe(4);
    expect(await timeline.locator('rect.band').count()).toBe(0);
    await shoot(page, 'charts-empty');

    await driveTraffic();
    // Switching the range reloads at once: 1 h has 360 ten-second buckets, 15 min has 90.
    await chooseRange(page, '1 h', 360);
    await chooseRange(page, '15 min', 90);

    // Requests and errors: the total line over every bucket, an error line per class seen.
    const requestLines = await seriesPoints(requests);
    expect(requestLines.requests).toBe(90);
    expect(Object.keys(requestLines)).toEqual(
      expect.arrayContaining(['errors: upstream', 'errors: limited']),
    );
    expect(await requests.locator('rect.incident').count()).toBeGreaterThanOrEqual(1);
    expect(await requests.getAttribute('data-empty')).toBe('false');
    expect(await requests.locator('svg').getAttribute('aria-labelledby')).toMatch(
      /^chart-title-\d+ chart-desc-\d+$/,
    );
    expect(await requests.locator('svg desc').textContent()).toMatch(/requests \d+/);

    // Stacked by group: every group over all 90 buckets.
    expect(await seriesPoints(chart(page, 'Requests by model group'))).toEqual({
      gpt: 90,
      legacy: 90,
      sonnet: 90,
    });

    // Errors by model group: only legacy failed, in the eight incident buckets.
    const groupErrors = chart(page, 'Errors by model group');
    expect(await seriesPoints(groupErrors)).toEqual({ legacy: 90 });
    expect(await groupErrors.locator('svg desc').textContent()).toBe('In this range: legacy 8 errors.');

    // Attempts by deployment, with the failed attempts of the throttled and the unreachable ones.
    const attempts = await seriesPoints(chart(page, 'Upstream attempts by deployment'));
    expect(Object.keys(attempts)).toEqual(
      expect.arrayContaining(['sonnet-use1', 'sonnet-euw1 failed', 'legacy-down failed', 'gpt-openai']),
    );

    // First-token time: a point for each of the 24 buckets with successful requests, p50 and p99,
    // per group and per deployment (legacy never answered: no line).
    const groupLatency = await seriesPoints(chart(page, 'First-token time by model group'));
    expect(groupLatency).toEqual({ 'gpt p50': 24, 'gpt p99': 24, 'sonnet p50': 24, 'sonnet p99': 24 });
    const deploymentLatency = await seriesPoints(chart(page, 'First-token time by deployment'));
    expect(deploymentLatency['gpt-openai p99']).toBe(24);
    expect(deploymentLatency['sonnet-use1 p50']).toBeGreaterThanOrEqual(8); // all of the incident's

    // Breakers: legacy-down open, half-open for its failed trial, open again to now (red bands);
    // sonnet-euw1 cooled down while throttled.
    const legacy = timeline.locator('g.lane[data-deployment="legacy-down"]');
    expect(await legacy.getAttribute('data-state-now')).toBe('open');
    const bands = await legacy.locator('rect.band').all();
    const states = await Promise.all(bands.map((band) => band.getAttribute('data-state')));
    // Open, then open again after its trial. The half-open span between them has no width when the
    // trial fails within the same instant of the stepped clock, and is then not drawn.
    expect(states[0]).toBe('open');
    expect(states.at(-1)).toBe('open');
    expect(states.filter((state) => state === 'open').length).toBeGreaterThanOrEqual(2);
    expect(states.every((state) => state === 'open' || state === 'half-open')).toBe(true);
    expect(await legacy.locator('rect.band.open title').first().textContent()).toContain('breaker open');
    const euw1 = timeline.locator('g.lane[data-deployment="sonnet-euw1"]');
    expect(await euw1.locator('rect.band[data-state="cooldown"]').count()).toBeGreaterThanOrEqual(1);
    expect(await timeline.locator('svg desc').textContent()).toContain('legacy-down open');
    expect(await timeline.locator('line.now').count()).toBe(1);

    // Where traffic ran, and what it cost.
    expect(Object.keys(await seriesPoints(chart(page, 'Upstream attempts by region'))).sort()).toEqual([
      'eu-west-1',
      'unknown', // the OpenAI-style provider names no region
      'us-east-1',
      'us-west-2',
    ]);
    expect(Object.keys(await seriesPoints(chart(page, 'Upstream attempts by account')))).toContain(
      '111111111111',
    );
    const spend = await seriesPoints(chart(page, 'Spend by model group'));
    expect(
      Object.keys(spend)
        .map((name) => name.split(' ')[0])
        .sort(),
    ).toEqual(['gpt', 'sonnet']);
    expect(await chart(page, 'Spend by model group').locator('svg desc').textContent()).toMatch(
      /\$0\.\d+ in this range/,
    );

    // Six hours: one-minute buckets, the four minutes of traffic rolled up into four points.
    await chooseRange(page, '6 h', 360);
    const sixHours = chart(page, 'First-token time by model group').locator(
      'g.series[data-series="sonnet p50"]',
    );
    expect(await sixHours.getAttribute('data-points')).toBe('4');
    await chooseRange(page, '15 min', 90);

    await shoot(page, 'charts-incident');
    // The first two rows alone (the picture in docs/images/).
    const first = await page.locator('#history-charts figure').nth(0).boundingBox();
    const fourth = await page.locator('#history-charts figure').nth(3).boundingBox();
    if (first !== null && fourth !== null) {
      await page.screenshot({
        path: `${screenshots}/charts-incident-top.png`,
        fullPage: true,
        clip: {
          x: first.x - 8,
          y: first.y - 8,
          width: fourth.x + fourth.width - first.x + 16,
          height: fourth.y + fourth.height - first.y + 16,
        },
      });
    }
    await page.screenshot({ path: `${screenshots}/dashboard-1280.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits the charts on a narrow screen', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${world.gateway.url}/dashboard`);
    await page.getByLabel('Admin key').fill(world.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await chart(page, 'Requests and errors').locator('g.series').first().waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shoot(page, 'charts-narrow');
    await page.close();
  });
});
