import assert from 'node:assert/strict';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { ADMIN, cleanup, sampleAlert, startTestApi, testContext, type TestApi } from './helpers';

/** The little of the DOM these page functions use (tsconfig has no DOM lib). */
interface Doc {
  getElementById(id: string): { naturalWidth?: number } | null;
  querySelector(sel: string): { naturalWidth?: number } | null;
}

const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

describe('dashboard (headless Chromium)', () => {
  let api: TestApi;
  let browser: Browser;

  before(async function () {
    this.timeout(60_000);
    api = await startTestApi(testContext());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    if (api) {
      await cleanup(api.ctx);
    }
  });

  it('refuses a bad token', async function () {
    this.timeout(30_000);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${api.port}/`);
    // The server has tokens: the page asks for one (with none, it opens at once: test/e2e/first-run.redis.test.ts).
    await page.waitForSelector('#login:not([hidden])');
    const cfg = await fetch(`http://127.0.0.1:${api.port}/dashboard/config.json`);
    assert.deepEqual(await cfg.json(), { auth: true });
    await page.fill('#token', 'not-a-valid-token-at-all');
    await page.click('button[type=submit]');
    await page.locator('#login-error', { hasText: 'not valid' }).waitFor();
    assert.equal(await page.isVisible('#app'), false);
    await page.close();
  });

  it('logs in with a token, shows an alert live, opens its snapshot and acknowledges it', async function () {
    this.timeout(60_000);
    const redis = api.ctx.redis('t');
    await redis.sadd(api.ctx.keys.cameraIndex, 'walkway');
    await redis.hset(api.ctx.keys.cameraStatus('walkway'), { name: 'Walkway', state: 'streaming', reason: '', at: new Date().toISOString(), lastFrameAt: new Date().toISOString(), fpsIngest: '5', fpsDetect: '5', dropped: '0' });
    // The camera's live frame, as its tracker renders it while someone watches: the tile shows it.
    const live = await sharp({ create: { width: 48, height: 27, channels: 3, background: { r: 120, g: 120, b: 120 } } }).jpeg().toBuffer();
    await redis.set(api.ctx.keys.liveFrame('walkway'), live, 'PX', 60_000);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${api.port}/`);
    await page.fill('#token', ADMIN);
    await page.click('button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('.tile[data-camera="walkway"] .state-streaming');
    await page.locator('#conn', { hasText: 'live' }).waitFor();
    await page.waitForFunction(
      () => (globalThis as unknown as { document: Doc }).document.querySelector('.tile[data-camera="walkway"] img')?.naturalWidth === 48,
    );

    const jpeg = await sharp({ create: { width: 64, height: 36, channels: 3, background: { r: 200, g: 30, b: 30 } } }).jpeg().toBuffer();
    const w = await api.store.write('start', sampleAlert({ rule: 'lawn-intrusion', camera: 'walkway' }), jpeg);
    const item = `li.alert[data-id="${w.alert.id}"]`;
    await page.waitForSelector(item, { timeout: 15_000 });
    assert.match((await page.textContent(`${item} .title`)) ?? '', /lawn-intrusion · walkway/);

    // Functions, not strings: the dashboard's CSP forbids eval, which string predicates need.
    await page.waitForFunction((sel) => (globalThis as unknown as { document: Doc }).document.querySelector(`${sel} .snap`)?.naturalWidth === 64, item);
    // The snapshot opens the alert's detail with the large snapshot and its timeline; Escape comes back.
    await page.click(`${item} .snap`);
    await page.waitForFunction(() => (globalThis as unknown as { document: Doc }).document.getElementById('al-snap')?.naturalWidth === 64);
    await page.locator('#al-timeline li', { hasText: 'start' }).waitFor();
    await page.keyboard.press('Escape');
    await page.waitForSelector('#view-home:not([hidden])');

    await page.click(`${item} .ack`);
    await page.waitForSelector(`${item}.acknowledged`);
    const stored = await api.store.getAlert(w.alert.id);
    assert.equal(stored?.id, w.alert.id);
    const ack = await redis.hget(api.ctx.keys.alertAcks, w.alert.id);
    assert.equal(JSON.parse(ack ?? '{}').action, 'acknowledged');

    // The end event updates the same item live.
    await api.store.write('end', { ...w.alert, state: 'ended', endedAt: new Date().toISOString() });
    await page.waitForSelector(`${item}.ended`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
