import type { Browser, Page } from 'playwright-core';
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

// The dashboard driven in headless Chromium against a real gateway: sign in with the admin key, see
// traffic, deployments and spend, create a key (shown once), revoke it. Screenshots go to /tmp.

warnIfNoChromium('dashboard-browser');

let world: DashboardTestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  world = await startDashboardTestGateway();
  for (let i = 0; i < 3; i++) await world.chat('sonnet');
  await world.chat('gpt');
  await world.chat('legacy');
  await world.chat('no-such-model'); // recorded with no served group
  browser = await launchChromium();
});

afterAll(async () => {
  if (!haveChromium) return;
  await browser.close();
  await world.close();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${world.gateway.url}/dashboard`);
  await page.getByLabel('Admin key').fill(world.adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Deployments' }).waitFor();
}

describe.skipIf(!haveChromium)('dashboard in Chromium', () => {
  it('refuses a wrong key, then shows traffic, deployments and spend', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(8000);
    const errors = collectErrors(page);
    await page.goto(`${world.gateway.url}/dashboard`);
    await page.getByLabel('Admin key').fill('not-the-admin-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('refused');

    errors.length = 0; // the refused sign-in logs its 401; from here on nothing may fail
    await page.getByLabel('Admin key').fill(world.adminKey);
    await page.keyboard.press('Enter');
    const deployments = page.getByRole('region', { name: 'Deployments' });
    await deployments.getByRole('rowheader', { name: 'sonnet-use1' }).waitFor();
    const row = deployments.getByRole('row').filter({ hasText: 'sonnet-euw1' });
    await expect.poll(() => row.textContent()).toContain('eu-west-1');
    expect(await row.textContent()).toContain('closed');
    expect(await deployments.getByRole('row').filter({ hasText: 'legacy-down' }).textContent()).toContain(
      'us-west-2',
    );

    const traffic = page.getByRole('region', { name: 'Traffic by model group' });
    expect(await traffic.getByRole('row').filter({ hasText: 'sonnet' }).textContent()).toContain('ms');

    const spend = page.getByRole('region', { name: 'Spend by tenant' });
    await spend.getByRole('rowheader', { name: world.tenant.name }).waitFor();
    expect(await spend.getByRole('row').filter({ hasText: world.tenant.name }).textContent()).toMatch(
      /\$0\.\d+/,
    );
    await page
      .getByRole('region', { name: 'Spend by model group' })
      .getByRole('rowheader', { name: 'sonnet' })
      .waitFor();
    // The request no group served has a named row, not a blank one.
    await page
      .getByRole('region', { name: 'Spend by model group' })
      .getByRole('rowheader', { name: '(not served)' })
      .waitFor();
    await page.getByRole('region', { name: 'Replicas' }).getByRole('rowheader').first().waitFor();
    // Routing decisions and cache figures have their tables (this gateway has no router or cache).
    await expect
      .poll(() => page.getByRole('region', { name: 'Routing decisions' }).textContent())
      .toContain('No router group has routed a request yet');
    expect(await page.getByRole('region', { name: 'Response cache' }).textContent()).toContain(
      'No cache lookups yet',
    );

    // The key stays in this tab only.
    expect(await page.evaluate(() => sessionStorage.getItem('spillway.adminKey'))).toBe(world.adminKey);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.screenshot({ path: '/tmp/spillway-dashboard-1280.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('creates a key, shows it once, and revokes it after confirmation', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(8000);
    await signIn(page);
    await page.getByLabel('Tenant', { exact: true }).selectOption(world.tenant.name);
    await page.getByLabel('Name', { exact: true }).fill('ci-bot');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.locator('#new-key-value');
    await expect.poll(() => shown.textContent()).toMatch(/^\S{20,}$/);
    const key = (await shown.textContent())!;
    const keys = page.getByRole('region', { name: 'Keys' });
    const row = keys.getByRole('row').filter({ hasText: 'ci-bot' });
    await row.waitFor();
    expect(await row.textContent()).toContain('active');

    // The new key works for the tenant.
    const chat = await fetch(`${world.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(chat.status).toBe(200);

    // Shown once: gone after Done and not in the list.
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.locator('#new-key').isHidden()).toBe(true);
    expect(await page.content()).not.toContain(key);

    // Cancel keeps it; confirm revokes it.
    await row.getByRole('button', { name: /Revoke key/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await row.textContent()).toContain('active');
    await row.getByRole('button', { name: /Revoke key/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => row.textContent()).toContain('revoked');
    expect(await row.getByRole('button').count()).toBe(0);
    await expect
      .poll(async () => {
        const refused = await fetch(`${world.gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }),
        });
        return refused.status;
      })
      .toBe(401);
    await page.close();
  });

  it('fits a narrow screen and signs out', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page);
    const pageWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(pageWidth).toBeLessThanOrEqual(390);
    await page.screenshot({ path: '/tmp/spillway-dashboard-narrow.png', fullPage: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('spillway.adminKey'))).toBeNull();
    await page.close();
  });
});
