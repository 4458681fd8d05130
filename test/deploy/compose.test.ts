import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/load';
import {
  authMetrics,
  detectMetrics,
  faceMetrics,
  ingestMetrics,
  leaseMetrics,
  mqttMetrics,
  processMetrics,
  redisMetrics,
  trackMetrics,
  webhookMetrics,
  wsMetrics,
} from '../../src/core/metrics';

const ROOT = path.join(__dirname, '..', '..');
const ENV = { VIGIL_TOKEN: 'compose-admin-token-0123456789', VIGIL_METRICS_TOKEN: 'compose-metrics-token-0123456789' };
/** The services that run Vigil (built from this repository). */
const VIGIL = ['ingest', 'detect', 'detect-gpu', 'track', 'api'];

/** `docker compose` (the plugin) or `docker-compose` (v1); .ci/run installs Debian's docker-compose when neither is. */
function compose(args: string[], env: Record<string, string>): { status: number | null; out: string } {
  const base = { cwd: ROOT, encoding: 'utf8' as const, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } };
  const plugin = spawnSync('docker', ['compose', 'version'], base);
  const r = plugin.status === 0 ? spawnSync('docker', ['compose', ...args], base) : spawnSync('docker-compose', args, base);
  if (r.error) {
    throw new Error(`neither "docker compose" nor docker-compose could run (${r.error.message}): apt-get install docker-compose`);
  }
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('docker-compose.yml, the images and the monitoring stack', function () {
  this.timeout(60_000);

  it('passes `docker compose config`, and names the tokens it needs when they are missing', () => {
    const ok = compose(['--profile', 'gpu', 'config'], ENV);
    assert.equal(ok.status, 0, ok.out);
    const doc = YAML.parse(ok.out) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
    for (const name of [...VIGIL, 'redis', 'prometheus', 'grafana']) {
      const s = doc.services[name];
      assert.ok(s, `service ${name}`);
      const hc = s.healthcheck as { test: string[] } | undefined;
      assert.ok(hc?.test?.length, `${name} has a healthcheck`);
      if (VIGIL.includes(name)) {
        assert.match(hc.test.join(' '), /127\.0\.0\.1:8080\/readyz/, `${name} probes /readyz`);
        const env = s.environment as Record<string, string>;
        const file = env.VIGIL_CONFIG.replace(/^\/config\//, 'config/');
        assert.ok(existsSync(path.join(ROOT, file)), `${name}: ${env.VIGIL_CONFIG} exists in the repository (./config)`);
        assert.equal(env.VIGIL_TOKEN, ENV.VIGIL_TOKEN, `${name} keeps the shared environment`);
        const vols = JSON.stringify(s.volumes);
        assert.match(vols, /"source":"models"|models:\/models/, `${name}: models in a named volume (owned by the image's user)`);
      }
    }
    assert.deepEqual([doc.services.detect.image, doc.services['detect-gpu'].image], ['vigil:cpu', 'vigil:cuda'], 'one image per build');
    assert.match(JSON.stringify(doc.services['detect-gpu'].build), /Dockerfile\.cuda/);
    assert.match(JSON.stringify(doc.services.detect.build), /"dockerfile":"Dockerfile"/);
    assert.ok('models' in doc.volumes);
    const missing = compose(['config'], {});
    assert.notEqual(missing.status, 0);
    assert.match(missing.out, /VIGIL_TOKEN/);
  });

  it('runs with the configuration it names (config/compose.yaml)', () => {
    const { config } = loadConfig(path.join(ROOT, 'config', 'compose.yaml'), { ...ENV, VIGIL_REDIS_URL: 'redis://redis:6379' });
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.port, 8080);
    assert.deepEqual(config.server.tokens.map((t) => t.role).sort(), ['admin', 'viewer']);
    assert.equal(config.models.dir, '/models');
  });

  it('builds a CPU image and a CUDA image on an NVIDIA CUDA + cuDNN base, both running as node with a /readyz healthcheck', () => {
    const cpu = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const cuda = readFileSync(path.join(ROOT, 'Dockerfile.cuda'), 'utf8');
    assert.doesNotMatch(cpu, /ONNXRUNTIME_NODE_INSTALL|nvidia\//, 'the CPU image installs no CUDA provider');
    assert.match(cuda, /^ARG CUDA_IMAGE=nvidia\/cuda:12\.[0-9.]+-cudnn-runtime-/m);
    assert.match(cuda, /^FROM \$\{CUDA_IMAGE\}$/m);
    assert.match(cuda, /ONNXRUNTIME_NODE_INSTALL=\$\{ORT_CUDA\} node node_modules\/onnxruntime-node\/script\/install\.js/);
    for (const [name, text] of [['Dockerfile', cpu], ['Dockerfile.cuda', cuda]]) {
      assert.match(text, /^USER node$/m, name);
      assert.match(text, /chown node:node \/models/, name);
      assert.match(text, /^HEALTHCHECK .*\n.*\/readyz/m, name);
    }
  });

  it('has a Prometheus config that promtool accepts, scraping every Vigil service', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-prom-'));
    try {
      const text = readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8');
      const token = path.join(dir, 'token');
      writeFileSync(token, 'x');
      const file = path.join(dir, 'prometheus.yml');
      writeFileSync(file, text.replace('/prometheus/vigil-token', token));
      const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      assert.ifError(r.error);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      const doc = YAML.parse(text) as { scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[] }> }> };
      const names = doc.scrape_configs.find((j) => j.job_name === 'vigil')!.dns_sd_configs![0].names;
      assert.deepEqual([...names].sort(), [...VIGIL].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('provisions a Grafana dashboard whose queries use only metrics Vigil exposes', async () => {
    const dash = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'vigil.json'), 'utf8')) as {
      uid: string;
      panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
    };
    const reg = new Registry();
    processMetrics(reg, { version: '0', roles: [], instance: 'x' });
    for (const g of [redisMetrics, leaseMetrics, ingestMetrics, detectMetrics, faceMetrics, trackMetrics, authMetrics, wsMetrics, webhookMetrics, mqttMetrics]) {
      g(reg);
    }
    const known = new Set((await reg.getMetricsAsJSON()).flatMap((m) => (String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name])));
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    assert.ok(exprs.length >= 15);
    for (const e of exprs) {
      for (const name of e.match(/\b(?:vigil|process|nodejs)_[a-z0-9_]+/g) ?? []) {
        assert.ok(known.has(name), `${name} (in ${e}) is a metric Vigil exposes`);
      }
    }
    const titles = dash.panels.map((p) => p.title).join(' | ');
    for (const want of [/Ingest fps per camera/, /Detect fps per camera/, /dropped/, /p50 latency/, /p95 latency/, /p99 latency/, /Alerts started/]) {
      assert.match(titles, want);
    }
    const prov = readFileSync(path.join(ROOT, 'deploy', 'grafana', 'provisioning', 'dashboards', 'vigil.yml'), 'utf8');
    assert.match(prov, /path: \/var\/lib\/grafana\/dashboards/);
  });
});
