/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against the local
 * stack: a person enters a token, reads the registries and services, filters them, opens a service.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { callApi } from '../../helpers/api.ts';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { SHARED_READER_TOKEN, sharedStack } from '../../helpers/shared-stack.ts';

const READER = SHARED_READER_TOKEN;
const OUTPUT = 'test-output';
let stack: LocalStack;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const profile = mkdtempSync(join(tmpdir(), 'aggregate-registry-chromium-'));

const svc = (hostname: string, address: string, port: number) => ({
  hostname,
  address,
  namespace: 'bookinfo',
  ports: [{ name: 'http', port, protocol: 'HTTP' }],
});

before(async () => {
  stack = (await sharedStack('consumers')).stack;
  const admin = (method: string, path: string, body?: unknown) =>
    callApi(stack.url, method, path, { token: stack.adminToken, body });
  await admin('PUT', '/registries/east', { clusterId: 'east', provider: 'kubernetes' });
  await admin('PUT', '/registries/west', { clusterId: 'west', provider: 'kubernetes' });
  await admin('PUT', '/registries/legacy', { provider: 'static' });
  await admin('PUT', '/registries/east/snapshot', {
    services: [
      svc('productpage.bookinfo.svc.cluster.local', '10.0.0.10', 9080),
      {
        ...svc('reviews.bookinfo.svc.cluster.local', '10.0.0.11', 9080),
        endpoints: [
          { address: '10.0.7.1', port: 9080, portName: 'http' },
          { address: '10.0.7.2', port: 9080, portName: 'http', healthy: false },
        ],
      },
      svc('ratings.bookinfo.svc.cluster.local', '10.0.0.12', 9080),
    ],
  });
  await admin('PUT', '/registries/west/snapshot', {
    services: [svc('reviews.bookinfo.svc.cluster.local', '10.1.0.11', 9090)],
  });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${stack.url}/`);
});
after(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
});

const rowsOf = (table: string) => page.locator(`#${table} tbody tr`);

describe('the dashboard', () => {
  test('asks for a token and shows nothing before one is entered', async () => {
    assert.equal(await page.getByLabel('Token').count(), 1);
    assert.equal(await page.locator('#content').isHidden(), true);
  });

  test('a wrong token says so', async () => {
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByLabel('Token').press('Enter');
    await page.getByText('The token is missing or wrong.').waitFor();
    // The browser logs the 401 itself; that one is expected.
    problems.splice(0, problems.length, ...problems.filter((text) => !text.includes('401')));
  });

  test('after Enter in the Token field it shows the registries with their status badges', async () => {
    await page.getByLabel('Token').fill(READER);
    await page.getByLabel('Token').press('Enter');
    await rowsOf('registries').first().waitFor();
    const rows = await rowsOf('registries').allInnerTexts();
    assert.equal(rows.length, 3);
    assert.match(rows[0] ?? '', /^east\teast\tkubernetes\tok\t1\t3\t\d+ s\t$/);
    assert.match(rows[2] ?? '', /^legacy\t—\tstatic\tempty\t—\t0\t—\t$/);
    const badge = page.locator('tr[data-registry="legacy"] .badge');
    assert.equal(await badge.getAttribute('class'), 'badge empty');
  });

  test('keeps the token in this tab only (sessionStorage, not localStorage)', async () => {
    const stored = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: localStorage.length,
    }));
    assert.deepEqual(stored, { session: [READER], local: 0 });
  });

  test('lists the merged services with the total count', async () => {
    assert.equal(await rowsOf('services').count(), 3);
    assert.equal(await page.locator('#service-count').innerText(), '(3)');
  });

  test('filters the services by hostname with the search box', async () => {
    await page.locator('input[type="search"]').fill('rev');
    assert.deepEqual(await rowsOf('services').locator('td:first-child').allInnerTexts(), [
      'reviews.bookinfo.svc.cluster.local',
    ]);
    assert.equal(await page.locator('#service-count').innerText(), '(1 of 3)');
  });

  test('shows the conflicts per hostname', async () => {
    const conflict = page.locator('#conflicts .conflict[data-hostname="reviews.bookinfo.svc.cluster.local"]');
    assert.match(await conflict.innerText(), /ports: kept .*9080.* from east, ignored .*9090.* from west/);
  });

  test("opens a service's detail with its VIPs per cluster and its endpoints (or says they are not served)", async () => {
    await rowsOf('services').first().click();
    await page.locator('#detail-title', { hasText: 'reviews.bookinfo.svc.cluster.local' }).waitFor();
    assert.deepEqual(await page.locator('#vips tbody tr').allInnerTexts(), [
      'east\t10.0.0.11',
      'west\t10.1.0.11',
    ]);
    await page
      .locator('#endpoints, #endpoints-unavailable, #detail-body p.muted:has-text("No endpoints")')
      .first()
      .waitFor();
  });

  test('refreshes itself when the merged view changes', async () => {
    await page.locator('input[type="search"]').fill('');
    await callApi(stack.url, 'PUT', '/registries/legacy/snapshot', {
      token: stack.adminToken,
      body: { services: [svc('details.bookinfo.svc.cluster.local', '10.2.0.1', 9080)] },
    });
    await page
      .locator('#services tr[data-hostname="details.bookinfo.svc.cluster.local"]')
      .waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('#service-count').innerText(), '(4)');
    assert.equal(await page.locator('tr[data-registry="legacy"] .badge').innerText(), 'ok');
  });

  test('logs no console errors, and leaves a screenshot', async () => {
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
    // Until GET /services/{hostname}/endpoints is served, the browser logs its 404 itself.
    const endpoints = await callApi(
      stack.url,
      'GET',
      '/services/reviews.bookinfo.svc.cluster.local/endpoints',
      { token: READER },
    ).catch(() => undefined);
    const notServed = endpoints?.status === 404 && endpoints.body?.error?.code === undefined;
    const unexpected = problems.filter((text) => !(notServed && / 404 .*\/endpoints\)$/.test(text)));
    assert.deepEqual(unexpected, []);
  });
});
