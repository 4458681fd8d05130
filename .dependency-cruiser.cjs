/**
 * Vigil's layers, checked by dependency-cruiser in `npm run lint` (docs/architecture.md explains them).
 *
 *   core, onnx ← config ← models ← alerts ← stages (ingest, detect, faces, track) ← edges (ws, sinks) ← api ← daemon ← main.ts, cli, bench, eval, testing
 *
 * A module may import its own folder and any folder to its left, never one to its right, and no import may run in a
 * circle. Stages do not import each other: they meet through message types, key names and the interfaces they need
 * of each other in src/core (the daemon puts the detect stage and the face stage it runs together). alerts (the
 * rules, the alert lifecycle and the alert store) is the alert domain under the stages: it has no role and no queue
 * of its own; the track stage runs it on each frame, and ws, sinks and api read the alert stream through its store.
 * test/ is not checked here: a test may import whatever it tests.
 */
const STAGES = '(ingest|detect|faces|track)';
const TOP = '^src/(main\\.ts|cli|bench|eval|testing)(/|$)';

/** A rule forbidding imports from `from` into anything but `allowed` (folders under src/, regex alternation). */
function only(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: '^src/', pathNot: `^src/(${allowed})/` },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: split the module or move the shared part down a layer.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    only('core-imports-only-core', 'core is the bottom layer: pure vocabulary and thin adapters (Redis, logging, metrics).', 'core', 'core'),
    only('onnx-imports-only-core', 'onnx is a low adapter library beside core (ONNX graph building), used by models.', 'onnx', 'onnx|core'),
    only('config-imports-only-core', 'config builds on core only.', 'config', 'config|core'),
    only('models-above-config', 'models (builders, registry, model files) sit between config and the stages that load them.', 'models', 'models|config|onnx|core'),
    only(
      'alerts-below-the-stages',
      'alerts (rules, alert lifecycle, alert store, snapshots, clips) is the alert domain under the stages: it imports no stage, edge or daemon.',
      'alerts',
      'alerts|models|config|onnx|core',
    ),
    {
      name: 'stage-imports-upward',
      comment: 'A stage may import core, onnx, config, models and alerts; never an edge (ws, sinks, api), the daemon or the top layer.',
      severity: 'error',
      from: { path: `^src/${STAGES}/` },
      to: { path: '^src/', pathNot: `^src/(${STAGES.slice(1, -1)}|alerts|models|config|onnx|core)/` },
    },
    {
      name: 'stage-imports-another-stage',
      comment:
        'Stages meet only through core: message types in src/core/types.ts, key names in src/core/keys.ts, and what one ' +
        'stage needs of another it runs (src/core/face-runner.ts), put together by the daemon.',
      severity: 'error',
      from: { path: `^src/${STAGES}/` },
      to: { path: `^src/${STAGES}/`, pathNot: '^src/$1/' },
    },
    only('ws-below-api', 'ws (the WebSocket hubs) is an edge below api: the api mounts the hubs on its server.', 'ws', `ws|${STAGES.slice(1, -1)}|alerts|models|config|onnx|core`),
    only('sinks-below-api', 'sinks (webhook and MQTT delivery) is an edge below api: the api role starts them.', 'sinks', `sinks|${STAGES.slice(1, -1)}|alerts|models|config|onnx|core`),
    only('api-below-daemon', 'api may import ws, sinks and everything below; not the daemon or the top layer.', 'api', `api|ws|sinks|${STAGES.slice(1, -1)}|alerts|models|config|onnx|core`),
    {
      name: 'daemon-below-the-top',
      comment: 'The daemon starts the stages; only main.ts, cli, bench, eval and testing sit above it.',
      severity: 'error',
      from: { path: '^src/daemon/' },
      to: { path: TOP },
    },
    {
      name: 'unknown-folder',
      comment: 'Every folder of src/ has a place in the layers: add a new one to .dependency-cruiser.cjs and docs/architecture.md.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(core|onnx|config|models|${STAGES.slice(1, -1)}|alerts|ws|sinks|api|daemon|cli|bench|eval|testing)/|^src/main\\.ts$` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
