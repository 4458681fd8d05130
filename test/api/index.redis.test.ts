import assert from 'node:assert/strict';
import { start } from '../../src/api';
import { parseConfig } from '../../src/config/load';
import { configSchema } from '../../src/config/schema';
import type { ConfigError } from '../../src/core/errors';
import type { Context } from '../../src/config/context';
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

  it('reports a webhook template that is not JSON, and duplicate webhook names, as config problems', () => {
    ctx = testContext();
    const problems = (yaml: string) => {
      try {
        parseConfig(yaml, { VIGIL_NO_DEMO: '1' });
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    assert.deepEqual(problems('webhooks:\n  - {url: "http://h/x", secret: secret-123, template: \'{"a": {{alert.camera}\'}\n'), [
      'webhooks[0].template: does not render to valid JSON (placeholders: {{alert.x}}, {{event}}, {{delivery}})',
    ]);
    assert.deepEqual(problems('webhooks:\n  - {url: "http://h/x", secret: secret-123}\n  - {name: webhook-1, url: "http://h/y", secret: secret-123}\n'), [
      'webhooks[1].name: duplicate webhook name "webhook-1"',
    ]);
  });

  it('without tokens the config only allows loopback (auth off only there)', () => {
    const r = configSchema.safeParse({ server: { host: '0.0.0.0' } });
    assert.ok(!r.success);
  });
});
