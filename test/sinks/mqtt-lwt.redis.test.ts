import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import Redis from 'ioredis';
import { BROKER, clearRetained, last, subscriber } from './mqtt-subscriber';
import { purgePrefix, REDIS_URL, stopChild, testPrefix, waitFor } from '../helpers';

const BIN = path.join(__dirname, '..', '..', 'bin', 'vigil.js');

/**
 * A real `vigil start --role api` process with MQTT and Home Assistant discovery on: a subscriber sees it come
 * online with its discovery, and the broker's Last Will says `offline` when the process is SIGKILLed (no clean
 * disconnect).
 */
describe('MQTT availability and Last Will of a real process @integration', function () {
  this.timeout(60_000);
  const prefix = testPrefix();
  const ha = `ha-${prefix}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-lwt-'));
  let child: ChildProcess | undefined;
  let client: MqttClient | undefined;

  after(async () => {
    if (child) {
      await stopChild(child);
    }
    client?.end(true);
    await clearRetained(`${prefix}/#`, `${ha}/#`);
    const r = new Redis(REDIS_URL);
    await purgePrefix(r, prefix);
    r.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is online with discovery while running, offline by its Last Will once SIGKILLed', async () => {
    const sub = await subscriber(`${prefix}/#`, `${ha}/#`);
    client = sub.client;
    const file = path.join(dir, 'vigil.yaml');
    writeFileSync(
      file,
      `redis: { prefix: ${prefix} }
server: { port: 0 }
cameras: [ { id: door, url: /dev/null } ]
rules: [ { id: door-down, type: camera_down, camera: door, seconds: 60 } ]
mqtt: { enabled: true, url: "${BROKER}", topicPrefix: ${prefix}, homeAssistant: { enabled: true, discoveryPrefix: ${ha} } }
`,
    );
    let out = '';
    child = spawn(process.execPath, [BIN, 'start', '--config', file, '--role', 'api'], {
      env: { ...process.env, VIGIL_FROM_SOURCE: '1', VIGIL_NO_DEMO: '1', VIGIL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => last(sub.got, `${prefix}/available`) === 'online', 30_000, 'online').catch((err: Error) => {
      throw new Error(`${err.message}\n${out.slice(-2000)}`);
    });
    await waitFor(() => sub.got.some((m) => m.topic.endsWith('/rule_door-down/config')), 10_000, 'discovery');
    const cfg = JSON.parse(sub.got.find((m) => m.topic.endsWith('/rule_door-down/config'))!.payload) as Record<string, string>;
    assert.equal(cfg.availability_topic, `${prefix}/available`);
    assert.equal(cfg.device_class, 'problem');
    assert.equal(cfg.state_topic, `${prefix}/door/rules/door-down/state`);
    await waitFor(() => last(sub.got, `${prefix}/door/rules/door-down/state`) === 'OFF', 10_000, 'rule state');

    child.kill('SIGKILL');
    await waitFor(() => last(sub.got, `${prefix}/available`) === 'offline', 10_000, 'the Last Will');
    const will = sub.got.filter((m) => m.topic === `${prefix}/available`).pop()!;
    assert.equal(will.payload, 'offline');
    // Retained: a subscriber arriving now learns that Vigil is offline.
    const late = await subscriber(`${prefix}/available`);
    await waitFor(() => late.got.length > 0, 5000, 'retained availability');
    assert.deepEqual([late.got[0].payload, late.got[0].retain], ['offline', true]);
    late.client.end(true);
  });
});
