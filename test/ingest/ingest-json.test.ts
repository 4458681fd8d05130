import assert from 'node:assert/strict';
import { cameraSchema } from '../../src/config/schema';
import { ingestJson } from '../../src/ingest';

describe('ingestJson: what restarts a camera', () => {
  const cam = cameraSchema.parse({ id: 'gate', url: 'rtsp://10.0.0.9/s', zones: [{ id: 'z', polygon: [[0, 0], [1, 0], [1, 1]] }] });

  it('ignores zones and lines (the tracker applies them; FFmpeg keeps running)', () => {
    const moved = { ...cam, zones: [{ id: 'z', polygon: [[0, 0], [0.5, 0], [0.5, 0.5]] as Array<[number, number]> }], lines: [{ id: 'l', points: [[0, 0.5], [1, 0.5]] as [[number, number], [number, number]] }] };
    assert.equal(ingestJson(moved), ingestJson(cam));
  });

  it('sees every other change', () => {
    assert.notEqual(ingestJson({ ...cam, url: 'rtsp://10.0.0.9/other' }), ingestJson(cam));
    assert.notEqual(ingestJson({ ...cam, detect: { ...cam.detect, fps: 2 } }), ingestJson(cam));
  });
});
