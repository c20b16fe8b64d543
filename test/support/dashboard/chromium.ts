import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The system Chromium the dashboard's browser tests drive (skipped, with a warning, without it). */
export const chromiumPath = '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);

export function warnIfNoChromium(test: string): void {
  if (!haveChromium) {
    console.warn(`${test}: skipped, ${chromiumPath} is missing (apt-get install -y chromium)`);
  }
}

/** Headless Chromium, without sandbox, GPU or background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Collects the page's uncaught errors and console errors (a test expects none). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}
