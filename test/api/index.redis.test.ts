import assert from 'node:assert/strict';
import { start } from '../../src/api';
import { configSchema } from '../../src/config/schema';
import type { Context } from '../../src/core/context';
import { TestClient } from '../ws/ws-client';
import { VIEWER, cleanup, testContext } from './helpers';

describe('api stage #start', () => {
  let ctx: Context;
  afterEach(async () => {
    await cleanup(ctx);
  });

  it('listens, serves HTTP and the WebSocket on one port, exposes metrics, and closes idempotently', async function () {
    this.timeout(30_000);
    ctx = testContext();
    const stage = await start(ctx);
    ctx.stages.set('api', stage);
    try {
      const base = `http://127.0.0.1:${stage.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/api/cameras`)).status, 401);
      const auth = { authorization: `Bearer ${VIEWER}` };
      assert.equal((await fetch(`${base}/readyz`, { headers: auth })).status, 200);
      const ws = await TestClient.open(`ws://127.0.0.1:${stage.port}/ws?token=${VIEWER}`);
      const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
      assert.match(metrics, /^vigil_ws_clients 1$/m);
      assert.match(metrics, /^# TYPE vigil_webhook_deliveries_total counter$/m);
      assert.match(metrics, /^# TYPE vigil_webhook_failures_total counter$/m);
      ws.close();
    } finally {
      const a = stage.close();
      assert.equal(stage.close(), a);
      await a;
    }
  });

  it('refuses to start with a webhook template that is not JSON', async () => {
    ctx = testContext({ webhooks: [{ url: 'http://127.0.0.1:9/x', secret: 'secret-123', template: '{"a": {{alert.camera}' }] });
    await assert.rejects(start(ctx), TypeError);
  });

  it('without tokens the config only allows loopback (auth off only there)', () => {
    const r = configSchema.safeParse({ server: { host: '0.0.0.0' } });
    assert.ok(!r.success);
  });
});
