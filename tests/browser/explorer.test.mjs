// Browser test of the network explorer page (GET /), in headless Debian Chromium driven by playwright-core.
//
//   LKN_URL=http://127.0.0.1:PORT node --test explorer.test.mjs
//
// Environment: LKN_URL (required: a running lkn-api, with the demo data seeded so there are public threads),
// CHROMIUM (default /usr/bin/chromium), LKN_ARTIFACTS_DIR (default <repo>/target/browser-artifacts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.LKN_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.LKN_ARTIFACTS_DIR
  || fileURLToPath(new URL('../../target/browser-artifacts/', import.meta.url));
const TIMEOUT_MS = 20_000;

if (!BASE) {
  throw new Error('LKN_URL is not set: start lkn-api and set LKN_URL=http://127.0.0.1:PORT');
}

let context;
let page;
let userDataDir;
const pageErrors = [];
const failedApiCalls = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'lkn-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timeout: 60_000,
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('response', (res) => {
    if (res.url().endsWith('/graphql') && res.status() >= 400) failedApiCalls.push(`${res.status()} ${res.url()}`);
  });
});

after(async () => {
  if (context) await context.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** The newest-threads list's first link, once the list has loaded. */
async function firstNewestThreadLink() {
  const link = page.locator('#newest-threads .thread-item .thread-title a').first();
  await link.waitFor({ state: 'visible' });
  return link;
}

test('the overview lists the partners by nation, with National Library of Wales under Wales', async () => {
  await page.goto(`${BASE}/`, { waitUntil: 'domcontentloaded' });
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.getByRole('heading', { level: 1, name: 'Living Knowledge Network' }).waitFor();
  for (const name of ['Network figures', 'Newest threads', 'Partners', 'Collaborations']) {
    await page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
  }

  const wales = page.locator('section.nation-group', {
    has: page.getByRole('heading', { level: 3, name: /^Wales\b/ }),
  });
  await wales.getByText('National Library of Wales', { exact: true }).waitFor();
  const england = page.locator('section.nation-group', {
    has: page.getByRole('heading', { level: 3, name: /^England\b/ }),
  });
  await england.getByText('British Library', { exact: true }).waitFor();
  assert.equal(await england.getByText('National Library of Wales', { exact: true }).count(), 0,
    'National Library of Wales must not be listed under England');

  // The figures and the newest threads have loaded, and nothing is left loading or in error.
  await firstNewestThreadLink();
  await page.locator('#figures .figure').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('.notice--loading'));
  assert.equal(await page.locator('.notice--error').count(), 0, 'no section shows an error');

  await page.screenshot({ path: join(ARTIFACTS, 'explorer.png'), fullPage: true });
});

test('a thread from the newest threads opens on its own page with its replies', async () => {
  const link = await firstNewestThreadLink();
  const title = (await link.textContent()).trim();
  assert.ok(title.length > 0);
  await link.click();
  await page.waitForURL(/#\/thread\//);
  await page.locator('article.thread h2', { hasText: title }).waitFor();
  await page.getByRole('heading', { level: 3, name: /^Replies\b/ }).waitFor();
  await page.locator('article.thread .thread-body').waitFor();
  const accepted = page.locator('.reply--accepted');
  if (await accepted.count() > 0) {
    await accepted.first().getByText('Accepted answer').waitFor();
  }
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-thread.png'), fullPage: true });

  // Back to the overview, by keyboard-reachable link.
  await page.getByRole('link', { name: /Back to the overview/ }).click();
  await page.waitForURL((url) => url.hash === '#/');
  await firstNewestThreadLink();
});

test('searching for the words of a thread title finds that thread', async () => {
  // Full-text search ranks title matches highest, so searching a thread's title finds it.
  const link = await firstNewestThreadLink();
  const title = (await link.textContent()).trim();
  const words = title.match(/[\p{L}\p{N}]{3,}/gu) || [];
  assert.ok(words.length > 0, `no searchable word in the title ${JSON.stringify(title)}`);

  const search = page.getByRole('searchbox', { name: 'Search threads' });
  await search.fill(words.join(' ').toUpperCase()); // search ignores case
  await search.press('Enter');
  await page.waitForURL(/#\/search\?q=/);
  const results = page.locator('#search-results');
  await results.getByRole('heading', { level: 2, name: 'Search results' }).waitFor();
  await results.locator('.thread-title a', { hasText: title }).first().waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-search.png'), fullPage: true });
});

test('switching to Welsh translates the page, sets <html lang="cy"> and is remembered', async () => {
  await page.goto(`${BASE}/#/`, { waitUntil: 'domcontentloaded' });
  await firstNewestThreadLink();
  await page.getByRole('button', { name: 'Cymraeg' }).click();
  await page.waitForFunction(() => document.documentElement.lang === 'cy');
  assert.equal(await page.getAttribute('html', 'lang'), 'cy');
  for (const name of ['Partneriaid', 'Ffigurau\u2019r rhwydwaith', 'Edafedd diweddaraf', 'Cydweithrediadau']) {
    await page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
  }
  await page.getByRole('heading', { level: 3, name: /^Cymru\b/ }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Cymraeg' }).getAttribute('aria-pressed'), 'true');
  await page.waitForFunction(() => !document.querySelector('.notice--loading'));
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-cy.png'), fullPage: true });

  // The choice survives a reload.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.getByRole('heading', { level: 2, name: 'Partneriaid', exact: true }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'cy');

  // Back to English for anything after this.
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 2, name: 'Partners', exact: true }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
});

test('the page fits a 360px wide screen', async () => {
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(`${BASE}/#/`, { waitUntil: 'domcontentloaded' });
  await firstNewestThreadLink();
  await page.waitForFunction(() => !document.querySelector('.notice--loading'));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 360px screen`);
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-360.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('the page raised no script errors and no API call failed', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(failedApiCalls, []);
});
