import assert from 'node:assert/strict';
import { cameraSchema } from '../../src/config/schema';
import { DELETED, effectiveCameras } from '../../src/config/camera-overrides';
import type { CameraConfig } from '../../src/config/schema';

const cam = (id: string, url = `rtsp://h/${id}`) => cameraSchema.parse({ id, url });

describe('effectiveCameras', () => {
  it('keeps file cameras without overrides', () => {
    assert.deepEqual(effectiveCameras([cam('a'), cam('b')], new Map()).map((c) => c.id), ['a', 'b']);
  });
  it('replaces, adds and removes cameras', () => {
    const out = effectiveCameras(
      [cam('a'), cam('b')],
      new Map<string, CameraConfig | typeof DELETED>([
        ['a', cam('a', 'rtsp://h/new')],
        ['b', DELETED],
        ['c', cam('c')],
      ]),
    );
    assert.deepEqual(out.map((c) => [c.id, c.url]), [
      ['a', 'rtsp://h/new'],
      ['c', 'rtsp://h/c'],
    ]);
  });
  it('ignores a delete of an unknown camera', () => {
    assert.deepEqual(effectiveCameras([cam('a')], new Map<string, CameraConfig | typeof DELETED>([['zz', DELETED]])).map((c) => c.id), ['a']);
  });
});
