import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';
import type { ClusterOptions } from '../../src/detect/postprocess';

const env = { VIGIL_NO_DEMO: '1' };

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('models.detector.cluster', () => {
  it('defaults to NMS with the DBSCAN parameters of NVIDIA sample configs ready (eps 0.7, minBoxes 3, minScore 0)', () => {
    const c = parseConfig('', env).models.detector.cluster;
    assert.deepEqual(c, { mode: 'nms', eps: 0.7, minBoxes: 3, minScore: 0, perClass: {} });
    // The parsed config is what the post-processing takes (compile-time check).
    const o: ClusterOptions = c;
    assert.equal(o.mode, 'nms');
  });

  it('reads mode, parameters and per-label overrides', () => {
    const c = parseConfig(
      'models:\n  detector:\n    family: detectnet_v2\n    cluster: {mode: dbscan+nms, eps: 0.3, minBoxes: 2, minScore: 0.5, perClass: {bag: {minBoxes: 1}, face: {eps: 0.2, minScore: 0}}}\n',
      env,
    ).models.detector.cluster;
    assert.deepEqual(c, { mode: 'dbscan+nms', eps: 0.3, minBoxes: 2, minScore: 0.5, perClass: { bag: { minBoxes: 1 }, face: { eps: 0.2, minScore: 0 } } });
  });

  it('names the field in every error', () => {
    assert.deepEqual(problems('models: {detector: {cluster: {mode: kmeans}}}\n'), ['models.detector.cluster.mode: must be one of nms, dbscan, dbscan+nms']);
    assert.deepEqual(problems('models: {detector: {cluster: {eps: 1.5}}}\n'), ['models.detector.cluster.eps: must be a number between 0 and 1']);
    assert.deepEqual(problems('models: {detector: {cluster: {eps: "wide"}}}\n'), ['models.detector.cluster.eps: must be a number between 0 and 1']);
    assert.deepEqual(problems('models: {detector: {cluster: {minBoxes: 2.5}}}\n'), ['models.detector.cluster.minBoxes: must be a whole number between 0 and 1000']);
    assert.deepEqual(problems('models: {detector: {cluster: {minBoxes: -1}}}\n'), ['models.detector.cluster.minBoxes: must be a whole number between 0 and 1000']);
    assert.deepEqual(problems('models: {detector: {cluster: {minScore: -0.1}}}\n'), ['models.detector.cluster.minScore: must be a number ≥ 0']);
    assert.deepEqual(problems('models: {detector: {cluster: {perClass: {bag: {minBoxes: -2}}}}}\n'), [
      'models.detector.cluster.perClass.bag.minBoxes: must be a whole number between 0 and 1000',
    ]);
    assert.deepEqual(problems('models: {detector: {cluster: {perClass: {bag: {min_boxes: 2}}}}}\n'), [
      'models.detector.cluster.perClass.bag: Unrecognized key: "min_boxes"',
    ]);
    assert.deepEqual(problems('models: {detector: {cluster: {minboxes: 2}}}\n'), ['models.detector.cluster: Unrecognized key: "minboxes"']);
  });
});
