import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '../../src/testing/rtsp-server';
import { BIN, MEDIA, MODELS, purgePrefix, REDIS_URL, stopChild, waitFor } from '../helpers';

const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
/** What the issue promises a newcomer: an alert in the dashboard within this long of `npm start`. */
const FIRST_ALERT_MS = 30_000;

/** The little of the DOM these page functions use (tsconfig has no DOM lib). */
interface Doc {
  getElementById(id: string): { hidden: boolean } | null;
}

/**
 * A newcomer's first run: `npm start` (bin/vigil.js start, the default config, no camera configured) on the demo
 * camera. The terminal prints where the dashboard is, once; the dashboard opens without a token (no tokens, loopback)
 * and shows an alert of the demo's rules within 30 s of the start.
 */
describe('first run: npm start on the demo camera (the real daemon, Redis, FFmpeg, Chromium) @integration', function () {
  this.timeout(90_000);
  let daemon: ChildProcess | undefined;
  let browser: Browser | undefined;
  let admin: Redis;
  let prefix = '';

  before(() => {
    admin = new Redis(REDIS_URL);
  });
  after(() => admin.disconnect());
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    if (daemon) {
      await stopChild(daemon);
    }
    await purgePrefix(admin, prefix);
  });

  const demos: Array<{ media: string; env: Record<string, string | undefined> }> = [
    { media: 'vtest.mp4 ($VIGIL_TEST_MEDIA)', env: { VIGIL_TEST_MEDIA: MEDIA } },
    { media: 'the sample photos npm install brings (no $VIGIL_TEST_MEDIA)', env: { VIGIL_TEST_MEDIA: undefined } },
  ];
  for (const demo of demos) {
    it(`${demo.media}: prints the dashboard address once, opens without a token and shows an alert within 30 s`, async () => {
      prefix = `vigil-test-first-${randomBytes(4).toString('hex')}`;
      const port = await freePort();
      const startedAt = Date.now();
      // What `npm start` runs, with the test's Redis prefix and port and the models of the test environment.
      const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_PORT: String(port), VIGIL_REDIS_PREFIX: prefix, VIGIL_REDIS_URL: REDIS_URL, VIGIL_MODELS_DIR: MODELS };
      env.VIGIL_LOG_LEVEL = 'info';
      env.VIGIL_INSTANCE_ID = `first-run-${prefix}`;
      delete env.VIGIL_CONFIG;
      delete env.VIGIL_NO_DEMO;
      for (const [k, v] of Object.entries(demo.env)) {
        if (v === undefined) {
          delete env[k];
        } else {
          env[k] = v;
        }
      }
      daemon = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      let partial = '';
      const onData = (d: Buffer) => {
        partial += d.toString();
        const parts = partial.split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts);
      };
      daemon.stdout!.on('data', onData);
      daemon.stderr!.on('data', onData);
      const msgs = () => lines.map((l) => (l.startsWith('{') ? ((JSON.parse(l) as { msg?: string }).msg ?? '') : l));

      const deadline = startedAt + FIRST_ALERT_MS;
      const tail = (what: string) => () => `${what}; log tail:\n${lines.slice(-15).join('\n')}`;
      const opened = await waitFor(() => msgs().find((m) => m.startsWith('open http://')), deadline - Date.now(), tail('the dashboard address in the log'), 100);
      assert.equal(opened, `open http://127.0.0.1:${port}/ (no server.tokens: no sign-in, this machine only; add tokens to server.tokens to listen beyond loopback)`);

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('#app:not([hidden])');
      assert.equal(await page.evaluate(() => (globalThis as unknown as { document: Doc }).document.getElementById('login')?.hidden), true, 'no token field');
      assert.equal(await page.isVisible('#token'), false);
      assert.match((await page.textContent('#who')) ?? '', /no sign-in/);
      await page.waitForSelector('.tile[data-camera="demo"]');

      const left = deadline - Date.now();
      assert.ok(left > 0, `the dashboard opened ${Date.now() - startedAt} ms after the start`);
      await page.waitForSelector('li.alert', { timeout: left });
      const title = (await page.textContent('li.alert .title')) ?? '';
      assert.match(title, /^demo-(person-in-zone|line-crossing) · demo · medium/);
      const alertAfter = Date.now() - startedAt;
      assert.ok(alertAfter <= FIRST_ALERT_MS, `first alert in the dashboard ${alertAfter} ms after npm start`);
      // The terminal shows it too, and the address was printed once.
      await waitFor(() => msgs().find((m) => /^alert demo-\S+ on demo$/.test(m)), 5000, tail('the alert in the log'), 100);
      assert.equal(msgs().filter((m) => m.startsWith('open http://')).length, 1);
      assert.deepEqual(errors, []);

      const pid = daemon.pid!;
      const exited = new Promise<number | null>((r) => daemon!.once('exit', (code) => r(code)));
      process.kill(pid, 'SIGTERM');
      assert.equal(await exited, 0, 'a clean stop');
    });
  }
});
