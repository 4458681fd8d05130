import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseConfig } from '../../src/config/load';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import type { Alert } from '../../src/core/types';
import { startDaemon, type Daemon } from '../../src/daemon';
import { RtspTestServer } from '../../src/testing/rtsp-server';
import { MODELS, purge, REDIS_URL, testPrefix, VTEST, waitFor } from '../helpers';

const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = 'console-admin-token-0123456789';
const FPS = 5;
const PRE = 2;
const POST = 2;
/** Set to a folder (docs/img) to keep a screenshot of each view there. */
const SHOTS = process.env.VIGIL_SCREENSHOTS;

/** The little of the page these functions read (tsconfig has no DOM lib). */
interface Win {
  Vigil: { live: { stats(camera: string): { fps: number; frames: number; receivedMs: number | null; displayMs: number | null } } };
  document: {
    getElementById(id: string): { duration: number; readyState: number; currentTime: number; paused: boolean; play(): Promise<void> } | null;
    querySelector(sel: string): { getBoundingClientRect(): { left: number; top: number; width: number; height: number }; width: number; height: number } | null;
    documentElement: { scrollWidth: number; clientWidth: number };
    activeElement: { id: string; className: string; textContent: string | null } | null;
  };
}

/**
 * The operator's console on the whole daemon (one process, every role) with a live GStreamer RTSP camera, real FFmpeg,
 * the real model and headless Chromium: the live view at the detect rate, a zone drawn and saved in the editor that
 * then raises an alert, that alert's clip played in the alert detail, and the phone layout.
 */
describe('operator console in Chromium (live view, zone editor, alert clip, phone) @integration', function () {
  this.timeout(90_000);
  let rtsp: RtspTestServer;
  let daemon: Daemon | undefined;
  let browser: Browser;
  let page: Page;
  let port: number;
  let ctx: Context;
  let dir: string;
  const prefix = testPrefix();
  const errors: string[] = [];

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-console-'));
    rtsp = await RtspTestServer.start({ file: VTEST });
    // The zone `door` starts in a corner nobody walks through; the test redraws it over the walkway. Line crossings
    // end within seconds (a zone alert lasts while anyone is inside): their clips are the ones played.
    const yaml = `
redis: { url: "${REDIS_URL}", prefix: ${prefix} }
server: { port: 0, tokens: [ { name: ops, token: "\${T}", role: admin } ] }
models: { dir: ${MODELS} }
recording: { enabled: true, dir: ${dir}, segmentSeconds: 1 }
cameras:
  - id: walkway
    name: Walkway
    url: "${rtsp.url()}"
    detect: { fps: ${FPS} }
    zones: [ { id: door, polygon: [[0.0,0.0],[0.04,0.0],[0.04,0.04]] } ]
    lines: [ { id: mid, points: [[0.5,0.3],[0.5,0.75]] } ]
rules:
  - { id: door-enter, type: zone_enter, camera: walkway, zone: door, labels: [person], severity: high }
  - { id: mid-cross, type: line_cross, camera: walkway, line: mid, direction: any, labels: [person], clip: { pre: ${PRE}, post: ${POST} } }
`;
    ctx = new Context(parseConfig(yaml, { T: TOKEN, VIGIL_NO_DEMO: '1' }), nullLogger(), new Set(['ingest', 'detect', 'track', 'api'] as const), { defaultMetrics: false });
    daemon = await startDaemon(ctx);
    port = (ctx.stages.get('api') as unknown as { port: number }).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.waitForSelector('#app:not([hidden])');
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await rtsp?.stop();
    await purge(prefix).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function shot(p: Page, name: string): Promise<void> {
    if (SHOTS) {
      await p.screenshot({ path: path.join(SHOTS, `console-${name}.png`) });
    }
  }

  async function alerts(): Promise<Alert[]> {
    const res = await fetch(`http://127.0.0.1:${port}/api/alerts?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return ((await res.json()) as { alerts: Alert[] }).alerts;
  }

  it(`live view: the camera's frames arrive at >= 80 % of its detect rate (${FPS} fps), with boxes drawn from the detections`, async () => {
    await page.waitForSelector('.tile[data-camera="walkway"] .state-streaming', { timeout: 30_000 });
    // The keyboard reaches the tile's link; Enter opens the single-camera view.
    await page.focus('.tile[data-camera="walkway"] a.stage');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#view-camera:not([hidden])');
    await waitFor(async () => (await page.evaluate(() => (globalThis as unknown as Win).Vigil.live.stats('walkway').frames)) > 3, 20_000, 'first live frames');
    const a = await page.evaluate(() => (globalThis as unknown as Win).Vigil.live.stats('walkway'));
    const t0 = Date.now();
    await page.waitForTimeout(5000);
    const b = await page.evaluate(() => (globalThis as unknown as Win).Vigil.live.stats('walkway'));
    const fps = ((b.frames - a.frames) * 1000) / (Date.now() - t0);
    assert.ok(fps >= 0.8 * FPS, `${fps.toFixed(2)} frames/s drawn, want >= ${0.8 * FPS}`);
    assert.ok(b.receivedMs !== null && b.receivedMs < 1000, `frames ${b.receivedMs} ms behind capture`);
    await page.locator('#cam-zones li', { hasText: 'door' }).waitFor();
    await page.locator('#cam-lines li', { hasText: 'mid-cross' }).waitFor();
    await shot(page, 'live');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#view-home:not([hidden])');
    await shot(page, 'grid');
  });

  it('zone editor: a zone drawn over the walkway and saved (errors shown beside the shape first) raises an alert', async () => {
    assert.equal((await alerts()).filter((x) => x.rule === 'door-enter').length, 0, 'no alert while the zone is in the corner');
    await page.goto(`http://127.0.0.1:${port}/#/camera/walkway`);
    await page.click('#edit-open');
    await page.waitForSelector('#editor-tools:not([hidden])');
    await page.click('#ed-add-zone');
    const box = await page.evaluate(() => {
      const c = (globalThis as unknown as Win).document.querySelector('#cam-canvas')!;
      const r = c.getBoundingClientRect();
      const aspect = c.width / c.height;
      const width = Math.min(r.width, r.height * aspect);
      const height = width / aspect;
      return { left: r.left + (r.width - width) / 2, top: r.top + (r.height - height) / 2, width, height };
    });
    for (const [x, y] of [[0.02, 0.3], [0.98, 0.3], [0.98, 0.98], [0.02, 0.98]]) {
      await page.mouse.click(box.left + x * box.width, box.top + y * box.height);
    }
    await page.keyboard.press('Enter');
    const name = page.locator('#cam-zones li[data-index="1"] .shape-name');
    await name.fill('door');
    await name.press('Tab');
    await page.click('#ed-save');
    // Two zones named door: the answer's problem is shown beside the new shape.
    await page.locator('#cam-zones li[data-index="1"] .shape-error', { hasText: 'duplicate zone id "door"' }).waitFor();
    await shot(page, 'editor');
    await page.click('#cam-zones li[data-index="0"] button:has-text("Delete")');
    await page.locator('#cam-zones li[data-index="0"] .rules', { hasText: 'door-enter' }).waitFor();
    await page.click('#ed-save');
    await page.locator('#notice', { hasText: 'saved' }).waitFor();
    const saved = JSON.parse((await ctx.redis('t').hget(ctx.keys.cameraOverrides, 'walkway')) ?? '{}') as { url: string; zones: Array<{ id: string; polygon: number[][] }> };
    assert.equal(saved.url, rtsp.url(), 'the camera kept its source');
    assert.deepEqual(saved.zones.map((z) => z.id), ['door']);
    assert.ok(Math.abs(saved.zones[0].polygon[0][0] - 0.02) < 0.01 && Math.abs(saved.zones[0].polygon[2][1] - 0.98) < 0.01, JSON.stringify(saved.zones));
    await page.goto(`http://127.0.0.1:${port}/#/`);
    await page.locator('li.alert .title', { hasText: 'door-enter · walkway' }).first().waitFor({ timeout: 30_000 });
  });

  it(`alert detail: the clip plays, its duration within 1 s of pre + event + post; acknowledged with a note`, async () => {
    const clipped = await waitFor(async () => (await alerts()).find((x) => x.rule === 'mid-cross' && x.clip), 40_000, 'a mid-cross alert with its clip');
    const want = PRE + (Date.parse(clipped.endedAt!) - Date.parse(clipped.startedAt)) / 1000 + POST;
    await page.goto(`http://127.0.0.1:${port}/#/alert/${clipped.id}`);
    await page.waitForSelector('#al-video:not([hidden])');
    await waitFor(async () => (await page.evaluate(() => (globalThis as unknown as Win).document.getElementById('al-video')!.readyState)) >= 1, 15_000, 'the clip metadata');
    const duration = await page.evaluate(() => (globalThis as unknown as Win).document.getElementById('al-video')!.duration);
    assert.ok(Math.abs(duration - want) <= 1, `clip ${duration.toFixed(2)} s, want ${want.toFixed(2)} ± 1 s`);
    await page.evaluate(() => (globalThis as unknown as Win).document.getElementById('al-video')!.play());
    await waitFor(async () => (await page.evaluate(() => (globalThis as unknown as Win).document.getElementById('al-video')!.currentTime)) > 0.5, 10_000, 'the clip playing');
    await page.locator('#al-timeline li', { hasText: 'end' }).waitFor();
    await page.locator('#al-objects tr', { hasText: 'person' }).waitFor();
    await page.fill('#al-note', 'checked on camera: a pedestrian');
    await page.click('#al-ack');
    await page.locator('#al-ack-state', { hasText: 'acknowledged by ops' }).waitFor();
    await shot(page, 'alert');
    await page.keyboard.press('Escape');
    await page.locator(`li.alert[data-id="${clipped.id}"] .sub`, { hasText: 'checked on camera: a pedestrian' }).waitFor();
  });

  it('phone width (390 x 844): one column, nothing wider than the screen, every view reachable', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    phone.on('pageerror', (e) => errors.push(e.message));
    await phone.goto(`http://127.0.0.1:${port}/`);
    await phone.fill('#token', TOKEN);
    await phone.press('#token', 'Enter');
    await phone.waitForSelector('.tile[data-camera="walkway"]');
    await phone.waitForSelector('li.alert');
    const fits = () => phone.evaluate(() => (globalThis as unknown as Win).document.documentElement.scrollWidth <= (globalThis as unknown as Win).document.documentElement.clientWidth);
    assert.ok(await fits(), 'no horizontal scrolling on the overview');
    const tile = await phone.locator('.tile').first().boundingBox();
    assert.ok(tile && tile.width > 340, `the tile fills the width (${tile?.width})`);
    await shot(phone, 'phone');
    await phone.click('.tile[data-camera="walkway"] a.name');
    await phone.waitForSelector('#view-camera:not([hidden])');
    assert.ok(await fits(), 'no horizontal scrolling on the camera view');
    await phone.goBack();
    await phone.click('li.alert a.title');
    await phone.waitForSelector('#view-alert:not([hidden])');
    assert.ok(await fits(), 'no horizontal scrolling on the alert detail');
    await phone.close();
    assert.deepEqual(errors, []);
  });
});
